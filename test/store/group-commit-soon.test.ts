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
const insert = (n: number) => async (trx: Kysely<Database>) => {
  await sql`INSERT INTO t (n) VALUES (${n})`.execute(trx);
};
const rows = async () =>
  (await sql<{ n: number }>`SELECT n FROM t ORDER BY rowid`.execute(db)).rows.map((r) => r.n);
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
