/**
 * Whether the store can write, as the bridge finds out at run time (a full disk, a read-only file,
 * PostgreSQL gone). A failure turns `/ready` and `/health` to the cause, is logged once with its
 * fix and counted; then a small write is tried every few seconds until one goes through.
 */
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.js';
import { describeStoreError } from '../store/store-errors.js';
import type { Store } from '../store/store.js';

export class StoreHealth {
  private cause?: string;
  private probe?: NodeJS.Timeout;

  constructor(
    private readonly store: Pick<Store, 'probeWrite'>,
    private readonly where: string,
    private readonly metrics: Pick<Metrics, 'storeWritable' | 'storeFailures'>,
    private readonly log: Logger,
    private readonly probeEveryMs = 2_000,
  ) {
    metrics.storeWritable.set(1);
  }

  /** What is wrong, when something is. */
  get problem(): string | undefined {
    return this.cause && `the database (${this.where}) cannot be written: ${this.cause}`;
  }

  /** A write failed: say so once, then probe until the store writes again. */
  failed(err: unknown): void {
    this.metrics.storeFailures.inc();
    if (this.cause) return;
    this.cause = describeStoreError(err);
    this.metrics.storeWritable.set(0);
    this.log.error(
      { err, database: this.where },
      `${this.problem}; transactions are refused (the homeserver sends them again) until it can`,
    );
    this.probe = setInterval(() => void this.tryAgain(), this.probeEveryMs);
    this.probe.unref();
  }

  stop(): void {
    clearInterval(this.probe);
  }

  private async tryAgain(): Promise<void> {
    try {
      await this.store.probeWrite();
    } catch {
      return;
    }
    if (!this.cause) return;
    this.log.info({ database: this.where }, 'the database can be written again');
    this.cause = undefined;
    this.metrics.storeWritable.set(1);
    this.stop();
  }
}
