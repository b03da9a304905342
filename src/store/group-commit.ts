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
 *
 * A write that may reach the disk with the next flushed group (`runFlushedSoon`: the outcomes of
 * delivered events) commits without a flush of its own; if no flushed group comes within
 * `soonMs`, an empty one carries it. A bridge relaying a message per transaction then syncs the
 * log once a message (the inbox's), not twice; a power cut can replay at most `soonMs` of them.
 *
 * A group's flush to disk does not hold the next group's commit: the next commits meanwhile and
 * its own flush (which carries both) resolves it. Writers still resolve in order, each only after
 * a flush that began after its commit. A writer may also ask to hear of its commit before the
 * flush (`committed`): what it wrote then survives a crash of the process, not yet of the machine.
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
  /** Flushed by the next flushed group, or an empty one within `soonMs`. */
  soon: boolean;
  committed: ((value: unknown) => void) | undefined;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

export class GroupCommit {
  private queue: Pending[] = [];
  /** Queued writes that are not lazy: while there are any, draining goes on. */
  private eager = 0;
  private draining = false;
  private lazyTimer: NodeJS.Timeout | undefined;
  /** Armed while a `runFlushedSoon` write is committed but not yet flushed. */
  private soonTimer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];
  /** The last committed group's flush and resolution: the next one resolves after it. */
  private settled: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly modes: CommitModes = {},
    private readonly maxGroup = 512,
    private readonly lazyMs = 10,
    private readonly soonMs = 50,
  ) {}

  /**
   * `committed` is called with the job's result once its group committed, before the flush the
   * returned promise waits for (or, should the group fail, once it committed alone).
   */
  run<T>(job: WriteJob<T>, durable = true, committed?: (result: T) => void): Promise<T> {
    return this.enqueue(job, { durable, committed });
  }

  /** A write without a flush that waits for the next group (at most `lazyMs`). */
  runLazily<T>(job: WriteJob<T>): Promise<T> {
    return this.enqueue(job, { lazy: true });
  }

  /**
   * A write committed with the next group, resolved at its commit (it survives a crash of the
   * process), and on the disk with the next flushed group, at most `soonMs` later.
   */
  runFlushedSoon<T>(job: WriteJob<T>): Promise<T> {
    return this.enqueue(job, { soon: true });
  }

  /** Resolves when every write queued so far has finished (before closing the database). */
  idle(): Promise<void> {
    if (this.queue.length > 0) this.startDrain();
    return this.draining ? new Promise((resolve) => this.idleWaiters.push(resolve)) : this.settled;
  }

  /** Finishes the writes queued so far, then lets go of what the commit modes hold. */
  async close(): Promise<void> {
    await this.idle();
    if (this.soonTimer) await this.flushNow();
    await this.modes.close?.();
  }

  private enqueue<T>(
    job: WriteJob<T>,
    how: { durable?: boolean; lazy?: boolean; soon?: boolean; committed?: (result: T) => void },
  ): Promise<T> {
    const { durable = false, lazy = false, soon = false, committed } = how;
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        job,
        durable,
        lazy,
        soon,
        committed: committed as ((value: unknown) => void) | undefined,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
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
   * Tells the writers of a committed group it is committed, then flushes it if it must be and
   * resolves or rejects them after the groups before them. A failed flush rejects them (the disk
   * failed them) but runs nothing again: the rows are in.
   */
  private settle(group: Pending[], flush: boolean, results: unknown[]): void {
    this.noteCommit(group, flush);
    group.forEach((pending, i) => {
      try {
        pending.committed?.(results[i]);
      } catch (err) {
        pending.reject(err); // its resolve after the flush is then a no-op
      }
    });
    const flushed = Promise.resolve()
      .then(() => this.modes.after?.(flush))
      .then(
        () => () => group.forEach((pending, i) => pending.resolve(results[i])),
        (err: unknown) => () => group.forEach((pending) => pending.reject(err)),
      );
    this.settled = Promise.all([this.settled, flushed]).then(([, finish]) => finish());
  }

  /** A flushed group carries every commit before it; an unflushed `soon` write arms the timer. */
  private noteCommit(group: Pending[], flush: boolean): void {
    if (flush) {
      clearTimeout(this.soonTimer);
      this.soonTimer = undefined;
    } else if (!this.soonTimer && group.some((pending) => pending.soon)) {
      this.soonTimer = setTimeout(() => void this.flushNow(), this.soonMs);
      this.soonTimer.unref(); // close() flushes what is left
    }
  }

  /** An empty flushed group: it carries the commits before it to disk. */
  private flushNow(): Promise<void> {
    clearTimeout(this.soonTimer);
    this.soonTimer = undefined;
    // A failed flush is the disk's: the writes queued meanwhile see it too, and the next one retries.
    return this.run(async () => undefined).catch(() => undefined);
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
      this.settle(group, flush, results);
    }
    // Cleared in the same turn the queue was found empty, so a write queued after it starts a new drain.
    this.draining = false;
    if (this.queue.length === 0) {
      for (const wake of this.idleWaiters.splice(0)) void this.settled.then(wake);
    } else if (this.idleWaiters.length > 0) {
      this.startDrain(); // closing: the lazy writes left go now
    } else {
      this.armLazyTimer(); // only lazy writes are left: the next group or their timer takes them
    }
  }
}
