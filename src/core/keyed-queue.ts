/**
 * Runs tasks one at a time per key (a portal's room), in the order they were
 * pushed, with at most `concurrency` keys running at once across all keys.
 */

/** Tasks one key runs before it lets a waiting key have its slot. */
const FAIR_TURN = 32;

export type Task = () => Promise<void>;

export class KeyedQueue {
  private readonly lanes = new Map<string, Task[]>();
  /** Keys with queued work waiting for a free slot, oldest first. */
  private readonly waiting: string[] = [];
  private running = 0;
  private depth = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly onError: (key: string, err: unknown) => void,
  ) {}

  /** Tasks queued or running. */
  get size(): number {
    return this.depth;
  }

  push(key: string, task: Task): void {
    this.depth++;
    const lane = this.lanes.get(key);
    if (lane) {
      lane.push(task);
      return;
    }
    this.lanes.set(key, [task]);
    this.waiting.push(key);
    this.pump();
  }

  /** Resolves when every queued task has finished. */
  idle(): Promise<void> {
    if (this.depth === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running < this.concurrency && this.waiting.length > 0) {
      const key = this.waiting.shift()!;
      this.running++;
      void this.drain(key);
    }
  }

  private async drain(key: string): Promise<void> {
    const lane = this.lanes.get(key)!;
    for (let turn = 0; lane.length > 0; turn++) {
      if (turn === FAIR_TURN && this.waiting.length > 0) {
        // A busy room yields its slot so quiet ones are not starved; order within it holds.
        this.waiting.push(key);
        this.running--;
        this.pump();
        return;
      }
      try {
        await lane[0]!();
      } catch (err) {
        this.onError(key, err);
      }
      lane.shift();
      this.depth--;
    }
    this.lanes.delete(key);
    this.running--;
    if (this.depth === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    this.pump();
  }
}
