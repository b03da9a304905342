/**
 * At most `max` connections of one network connecting at once, the others waiting their turn
 * in order (the bot ahead of the puppets: without it nothing from IRC is heard). After a netsplit
 * or a restart every connection wants to reconnect at the same moment; servers throttle or
 * K-line a host that floods them with registrations, so the bridge paces itself.
 *
 * A slot is held from the start of a connect until the connection registers or closes; a
 * connect that does neither within `holdMs` gives its slot back anyway, so one stuck server
 * handshake cannot stall the others. Only connecting connections have a timer.
 */

export interface LimiterClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemClock: LimiterClock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A turn asked for: `release()` frees the slot (or leaves the queue, if it has not started yet). */
export interface ConnectTurn {
  release(): void;
}

interface Waiting {
  start(): void;
  turn: Turn;
}

interface Turn extends ConnectTurn {
  state: 'waiting' | 'running' | 'done';
  timer?: unknown;
}

export class ConnectLimiter {
  private running = 0;
  private readonly queue: Waiting[] = [];

  /** `max` 0: no limit (every connect starts at once). */
  constructor(
    private readonly max: number,
    private readonly holdMs = 30_000,
    private readonly clock: LimiterClock = systemClock,
  ) {}

  /** Connections connecting now. */
  get active(): number {
    return this.running;
  }

  /** Connections waiting for a turn. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Runs `start` when a slot is free (at once if one is); `first` goes ahead of every waiting one. */
  acquire(start: () => void, opts: { first?: boolean } = {}): ConnectTurn {
    const turn: Turn = {
      state: 'waiting',
      release: () => this.release(turn),
    };
    const entry = { start, turn };
    if (opts.first) this.queue.unshift(entry);
    else this.queue.push(entry);
    this.pump();
    return turn;
  }

  private release(turn: Turn): void {
    if (turn.state === 'done') return;
    if (turn.state === 'waiting') {
      turn.state = 'done';
      const i = this.queue.findIndex((w) => w.turn === turn);
      if (i >= 0) this.queue.splice(i, 1);
      return;
    }
    turn.state = 'done';
    if (turn.timer !== undefined) this.clock.clearTimeout(turn.timer);
    this.running--;
    this.pump();
  }

  private pump(): void {
    while (this.queue.length > 0 && (this.max <= 0 || this.running < this.max)) {
      const { start, turn } = this.queue.shift()!;
      turn.state = 'running';
      this.running++;
      turn.timer = this.clock.setTimeout(() => {
        turn.timer = undefined;
        turn.release();
      }, this.holdMs);
      try {
        start();
      } catch {
        turn.release(); // a connect that throws holds nothing
      }
    }
  }
}
