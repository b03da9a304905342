// Group commit while a flush to disk is under way: the next group commits meanwhile, writers hear
// of their commit before the flush, and still resolve in order, each after a flush of its own.
// Writes flushed soon (the outcomes of delivered events): committed at once without a flush of
// their own, carried to disk by the next flushed group, or by an empty one within `soonMs`.
import SqliteDatabase from 'better-sqlite3';
import { Kysely, sql, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/store/group-commit.js';
import type { Database } from '../../src/store/schema.js';

let db: Kysely<Database>;
beforeEach(async () => {
  db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }),
  });
  await sql`CREATE TABLE t (n INTEGER)`.execute(db);
});
afterEach(() => db.destroy());

/** Commit modes whose flushes finish only when the test releases them, oldest first. */
function heldFlushes() {
  const held: (() => void)[] = [];
  let started = 0;
  const writes = new GroupCommit(db, {
    after: (flush) => {
      if (!flush) return Promise.resolve();
      started++;
      return new Promise<void>((resolve) => held.push(resolve));
    },
  });
  return { writes, held, flushesStarted: () => started };
}
const insert = (n: number) => async (trx: Kysely<Database>) => {
  await sql`INSERT INTO t (n) VALUES (${n})`.execute(trx);
  return n;
};
const rows = async () =>
  (await sql<{ n: number }>`SELECT n FROM t ORDER BY rowid`.execute(db)).rows.map((r) => r.n);
const turn = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('group commit, flushes', () => {
  it('tells a writer of its commit before the flush it waits for', async () => {
    const { writes, held } = heldFlushes();
    const heard: number[] = [];
    let resolved = false;
    const write = writes.run(insert(1), true, (n) => heard.push(n)).then(() => (resolved = true));
    await turn();
    expect(heard).toEqual([1]);
    expect(await rows()).toEqual([1]);
    expect(resolved).toBe(false);
    held.shift()!();
    await write;
    expect(resolved).toBe(true);
  });

  it('commits the next group while the last one flushes, and resolves them in order', async () => {
    const { writes, held, flushesStarted } = heldFlushes();
    const order: number[] = [];
    const first = writes.run(insert(1)).then((n) => order.push(n));
    await turn(); // the first group flushes now
    const second = writes.run(insert(2)).then((n) => order.push(n));
    await turn();
    expect(await rows()).toEqual([1, 2]); // committed without waiting for the first flush
    expect(flushesStarted()).toBe(2); // each flush began after its own group's commit
    held[1]!(); // the second flush finishes first: its writer still waits for the first
    await turn();
    expect(order).toEqual([]);
    held[0]!();
    await Promise.all([first, second]);
    expect(order).toEqual([1, 2]);
  });

  it('idle waits for the flushes under way', async () => {
    const { writes, held } = heldFlushes();
    void writes.run(insert(1));
    await turn();
    let idle = false;
    const waiting = writes.idle().then(() => (idle = true));
    await turn();
    expect(idle).toBe(false);
    held.shift()!();
    await waiting;
    expect(idle).toBe(true);
  });

  it('rejects a writer whose commit hook throws, and goes on with the others', async () => {
    const { writes, held } = heldFlushes();
    const bad = writes.run(insert(1), true, () => {
      throw new Error('hook failed');
    });
    const good = writes.run(insert(2));
    await expect(bad).rejects.toThrow('hook failed');
    await turn();
    held.forEach((release) => release());
    await expect(good).resolves.toBe(2);
  });
});

const SOON_MS = 40;
/** Group commit that counts its flushes to disk. */
function countedFlushes() {
  let flushes = 0;
  const writes = new GroupCommit(
    db,
    {
      after: async (flush) => {
        if (flush) flushes++;
      },
    },
    512,
    10,
    SOON_MS,
  );
  return { writes, flushes: () => flushes };
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('group commit, writes flushed soon', () => {
  it('commits at once and resolves without a flush; an empty group flushes it within soonMs', async () => {
    const { writes, flushes } = countedFlushes();
    await writes.runFlushedSoon(insert(1));
    expect(await rows()).toEqual([1]);
    expect(flushes()).toBe(0);
    await sleep(SOON_MS * 3);
    expect(flushes()).toBe(1);
    await sleep(SOON_MS * 2);
    expect(flushes()).toBe(1); // once: nothing unflushed is left
  });

  it('rides the next flushed group instead: no flush of its own', async () => {
    const { writes, flushes } = countedFlushes();
    await writes.runFlushedSoon(insert(1));
    await writes.run(insert(2)); // the next transaction's durable write, say
    expect(flushes()).toBe(1);
    await sleep(SOON_MS * 3);
    expect(flushes()).toBe(1);
    expect(await rows()).toEqual([1, 2]);
  });

  it('is flushed by close, not left to a timer', async () => {
    const { writes, flushes } = countedFlushes();
    await writes.runFlushedSoon(insert(1));
    await writes.close();
    expect(flushes()).toBe(1);
  });
});
