/**
 * Idle puppets: one sweep per network (a single timer, not one per puppet: with thousands of
 * puppets every timer counts) quits the puppets that have sent nothing for `idleMs`; their next
 * message connects them again. The idle-most puppet is also the one that makes room when a
 * network's puppet limit is reached.
 */

export interface IdleCandidate {
  /** When the Matrix user last sent something through it (ms since the epoch). */
  readonly lastActive: number;
  /** Messages are waiting for it or being written: never quit it under them. */
  readonly busy: boolean;
}

export interface IdleSweeperOptions {
  idleMs: number;
  candidates(): Iterable<[string, IdleCandidate]>;
  /** Quits an idle connection. */
  onIdle(id: string): void;
  now?: () => number;
}

/** How often the sweep runs: a tenth of the timeout (quits land within 10 % of it), 1 s to 10 min. */
export const sweepInterval = (idleMs: number) =>
  Math.min(10 * 60_000, Math.max(1_000, Math.floor(idleMs / 10)));

export class IdleSweeper {
  private timer?: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly opts: IdleSweeperOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Starts sweeping (no-op when `idleMs` is 0: never idle). */
  start(): void {
    if (this.opts.idleMs <= 0 || this.timer) return;
    this.timer = setInterval(() => this.sweep(), sweepInterval(this.opts.idleMs));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Quits every idle, not busy connection; returns their ids. */
  sweep(): string[] {
    const cutoff = this.now() - this.opts.idleMs;
    const idle = [...this.opts.candidates()]
      .filter(([, c]) => !c.busy && c.lastActive <= cutoff)
      .map(([id]) => id);
    for (const id of idle) this.opts.onIdle(id);
    return idle;
  }
}

/** The id of the connection idle the longest that is not busy, if any. */
export function idlest(candidates: Iterable<[string, IdleCandidate]>): string | undefined {
  let best: [string, IdleCandidate] | undefined;
  for (const entry of candidates) {
    if (entry[1].busy) continue;
    if (!best || entry[1].lastActive < best[1].lastActive) best = entry;
  }
  return best?.[0];
}
