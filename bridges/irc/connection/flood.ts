/**
 * Flood control for one IRC connection: a token bucket that keeps order. Up to `burst` lines
 * go out at once, then `linesPerSecond`; lines wait in a FIFO queue meanwhile, so nothing
 * overtakes anything. `linesPerSecond: 0` turns it off (every line is written at once).
 */

/** Time, injectable for tests. */
export interface FloodClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: FloodClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface FloodOptions {
  linesPerSecond: number;
  burst: number;
}

interface Pending {
  line: string;
  resolve(): void;
  reject(err: unknown): void;
}

export class FloodQueue {
  private tokens: number;
  private last: number;
  private readonly queue: Pending[] = [];
  private timer: unknown;

  constructor(
    private readonly write: (line: string) => void,
    private readonly opts: FloodOptions,
    private readonly clock: FloodClock = systemClock,
  ) {
    this.tokens = Math.max(1, opts.burst);
    this.last = clock.now();
  }

  /** Lines waiting for their turn. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Queues `line`; resolves once it is written, rejects if it is dropped (see `clear`) or the write throws. */
  send(line: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      this.drain();
    });
  }

  /** Drops every waiting line (the connection closed), rejecting each with `err`. */
  clear(err: unknown): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    for (const p of this.queue.splice(0)) p.reject(err);
  }

  private refill(): void {
    const now = this.clock.now();
    const burst = Math.max(1, this.opts.burst);
    this.tokens = Math.min(
      burst,
      this.tokens + ((now - this.last) / 1000) * this.opts.linesPerSecond,
    );
    this.last = now;
  }

  private drain(): void {
    if (this.timer !== undefined) return; // a wake-up is due; it drains in order
    const off = this.opts.linesPerSecond <= 0;
    if (!off) this.refill();
    while (this.queue.length > 0 && (off || this.tokens >= 1)) {
      const next = this.queue.shift()!;
      if (!off) this.tokens -= 1;
      try {
        this.write(next.line);
        next.resolve();
      } catch (err) {
        next.reject(err);
      }
    }
    if (this.queue.length === 0) return;
    const ms = Math.ceil(((1 - this.tokens) / this.opts.linesPerSecond) * 1000);
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.drain();
      },
      Math.max(1, ms),
    );
  }
}
