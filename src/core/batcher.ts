/**
 * Group commit: collects items and writes them in one call, at most every
 * `delayMs` or every `maxItems`, so per-event bookkeeping does not cost one
 * database transaction (one fsync) per event.
 */
export class Batcher<T> {
  private items: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly onError: (err: unknown, items: T[]) => void,
    private readonly delayMs = 5,
    private readonly maxItems = 500,
  ) {}

  add(item: T): void {
    this.items.push(item);
    if (this.items.length >= this.maxItems) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.delayMs);
  }

  /** Writes what is collected; resolves when every earlier write has finished. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const items = this.items;
    this.items = [];
    if (items.length > 0) {
      this.inFlight = this.inFlight
        .then(() => this.write(items))
        .catch((err) => this.onError(err, items));
    }
    return this.inFlight;
  }
}
