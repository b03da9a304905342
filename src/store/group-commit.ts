/**
 * Group commit: writes that arrive while one database transaction commits go
 * together into the next, so under load many writes share one commit (one
 * fsync on SQLite) while each caller still resolves only after its own write
 * is durable. When one write in a group fails, the group is rolled back and
 * each write runs alone, so only the failing one is rejected.
 *
 * A write that need survive only a crash of the process (not of the machine) is
 * `durable: false`; a group of only such writes commits without a flush to disk
 * (`commitModes`). The next flushed commit carries them to disk too.
 *
 * A write nobody waits for (`runLazily`: a sent event's outbox row removed) starts no commit of
 * its own: it joins the next group, or commits within `lazyMs`. In a busy room that saves a
 * commit per relayed message; a crash loses at most those few milliseconds of such writes.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

export type WriteJob<T> = (trx: Transaction<Database>) => Promise<T>;

/** How a dialect commits with or without waiting for the disk. */
export interface CommitModes {
  /** First thing in a group's transaction (PostgreSQL: `SET LOCAL synchronous_commit`). */
  within?(trx: Transaction<Database>, flush: boolean): Promise<void>;
  /** After a group's transaction committed, before its writers resolve (SQLite: the log synced). */
  after?(flush: boolean): Promise<void>;
  /** Once the last write is done (the database closes). */
  close?(): Promise<void>;
}

interface Pending {
  job: WriteJob<unknown>;
  durable: boolean;
  lazy: boolean;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

export class GroupCommit {
  private queue: Pending[] = [];
  /** Queued writes that are not lazy: while there are any, draining goes on. */
  private eager = 0;
  private draining = false;
  private lazyTimer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly modes: CommitModes = {},
    private readonly maxGroup = 512,
    private readonly lazyMs = 10,
  ) {}

  run<T>(job: WriteJob<T>, durable = true): Promise<T> {
    return this.enqueue(job, durable, false);
  }

  /** A write without a flush that waits for the next group (at most `lazyMs`). */
  runLazily<T>(job: WriteJob<T>): Promise<T> {
    return this.enqueue(job, false, true);
  }

  /** Resolves when every write queued so far has finished (before closing the database). */
  idle(): Promise<void> {
    if (this.queue.length > 0) this.startDrain();
    return this.draining
      ? new Promise((resolve) => this.idleWaiters.push(resolve))
      : Promise.resolve();
  }

  /** Finishes the writes queued so far, then lets go of what the commit modes hold. */
  async close(): Promise<void> {
    await this.idle();
    await this.modes.close?.();
  }

  private enqueue<T>(job: WriteJob<T>, durable: boolean, lazy: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ job, durable, lazy, resolve: resolve as (value: unknown) => void, reject });
      if (!lazy) {
        this.eager++;
        this.startDrain();
      } else if (!this.draining && !this.lazyTimer) {
        this.armLazyTimer();
      }
    });
  }

  private armLazyTimer(): void {
    this.lazyTimer = setTimeout(() => this.startDrain(), this.lazyMs);
  }

  private startDrain(): void {
    clearTimeout(this.lazyTimer);
    this.lazyTimer = undefined;
    if (this.draining) return;
    this.draining = true;
    void this.drain();
  }

  /** One transaction, committed with a flush to disk or without (the flush is awaited apart). */
  private transact<T>(flush: boolean, work: WriteJob<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      await this.modes.within?.(trx, flush);
      return work(trx);
    });
  }

  /**
   * Resolves or rejects the writers of a committed group once it is flushed if it must be. A
   * failed flush rejects them (the disk failed them) but runs nothing again: the rows are in.
   */
  private async settle(group: Pending[], flush: boolean, results: unknown[]): Promise<void> {
    try {
      await this.modes.after?.(flush);
    } catch (err) {
      for (const pending of group) pending.reject(err);
      return;
    }
    group.forEach((pending, i) => pending.resolve(results[i]));
  }

  private async drain(): Promise<void> {
    // The first group takes whatever is queued (lazy writes woken by their timer too); later
    // ones are drained only for eager writes, lazy ones riding along.
    for (let first = true; first || this.eager > 0; first = false) {
      const group = this.queue.splice(0, this.maxGroup);
      if (group.length === 0) break;
      for (const pending of group) if (!pending.lazy) this.eager--;
      const flush = group.some((pending) => pending.durable);
      let results: unknown[];
      try {
        results = await this.transact(flush, async (trx) => {
          const out: unknown[] = [];
          for (const pending of group) out.push(await pending.job(trx));
          return out;
        });
      } catch {
        for (const pending of group) {
          await this.transact(pending.durable, pending.job).then(
            (result) => this.settle([pending], pending.durable, [result]),
            pending.reject,
          );
        }
        continue;
      }
      await this.settle(group, flush, results);
    }
    // Cleared in the same turn the queue was found empty, so a write queued after it starts a new drain.
    this.draining = false;
    if (this.queue.length === 0) {
      for (const wake of this.idleWaiters.splice(0)) wake();
    } else if (this.idleWaiters.length > 0) {
      this.startDrain(); // closing: the lazy writes left go now
    } else {
      this.armLazyTimer(); // only lazy writes are left: the next group or their timer takes them
    }
  }
}
