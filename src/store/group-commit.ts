/**
 * Group commit: writes that arrive while one database transaction commits go
 * together into the next, so under load many writes share one commit (one
 * fsync on SQLite) while each caller still resolves only after its own write
 * is durable. When one write in a group fails, the group is rolled back and
 * each write runs alone, so only the failing one is rejected.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

export type WriteJob<T> = (trx: Transaction<Database>) => Promise<T>;

interface Pending {
  job: WriteJob<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

export class GroupCommit {
  private queue: Pending[] = [];
  private draining = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly maxGroup = 512,
  ) {}

  run<T>(job: WriteJob<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ job, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining) {
        this.draining = true;
        void this.drain();
      }
    });
  }

  /** Resolves when every write queued so far has finished (before closing the database). */
  idle(): Promise<void> {
    return this.draining
      ? new Promise((resolve) => this.idleWaiters.push(resolve))
      : Promise.resolve();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue.splice(0, this.maxGroup);
      try {
        const results = await this.db.transaction().execute(async (trx) => {
          const out: unknown[] = [];
          for (const pending of group) out.push(await pending.job(trx));
          return out;
        });
        group.forEach((pending, i) => pending.resolve(results[i]));
      } catch {
        for (const pending of group) {
          await this.db.transaction().execute(pending.job).then(pending.resolve, pending.reject);
        }
      }
    }
    // Cleared in the same turn the queue was found empty, so a write queued after it starts a new drain.
    this.draining = false;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
