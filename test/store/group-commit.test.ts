// Group commit's lazy writes (a sent event's outbox row removed, which nobody waits for): they
// start no commit of their own, ride with the next group, or commit within their delay.
import SqliteDatabase from 'better-sqlite3';
import { Kysely, sql, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/store/group-commit.js';
import type { Database } from '../../src/store/schema.js';

let db: Kysely<Database>;
let groups: number;
const LAZY_MS = 80;

beforeEach(async () => {
  db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }),
  });
  await sql`CREATE TABLE t (n INTEGER)`.execute(db);
  groups = 0;
});
afterEach(() => db.destroy());

const writes = () => new GroupCommit(db, { within: async () => void groups++ }, 512, LAZY_MS);
const insert = (n: number) => async (trx: Kysely<Database>) => {
  await sql`INSERT INTO t (n) VALUES (${n})`.execute(trx);
};
const rows = async () =>
  (await sql<{ n: number }>`SELECT n FROM t ORDER BY rowid`.execute(db)).rows.map((r) => r.n);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('group commit, lazy writes', () => {
  it('commit within their delay when nothing else comes, not at once', async () => {
    const w = writes();
    const started = performance.now();
    const done = w.runLazily(insert(1));
    await sleep(LAZY_MS / 4);
    expect(await rows()).toEqual([]);
    await done;
    expect(performance.now() - started).toBeGreaterThanOrEqual(LAZY_MS - 5);
    expect(await rows()).toEqual([1]);
    expect(groups).toBe(1);
  });

  it('ride with the next write that is not lazy, in the order they were queued', async () => {
    const w = writes();
    const lazy = [w.runLazily(insert(1)), w.runLazily(insert(2))];
    await sleep(5);
    await w.run(insert(3), false);
    await Promise.all(lazy);
    expect(await rows()).toEqual([1, 2, 3]);
    expect(groups).toBe(1);
  });

  it('queued while a group commits wait for the next group (or their delay), not a commit of their own', async () => {
    const w = writes();
    const first = w.run(insert(1), false); // its commit is under way when the lazy write comes
    const lazy = w.runLazily(insert(2));
    await first;
    await sleep(5);
    expect(await rows()).toEqual([1]);
    await w.run(insert(3), false);
    await lazy;
    expect(await rows()).toEqual([1, 2, 3]);
    expect(groups).toBe(2);
  });

  it('are committed at once when the store closes', async () => {
    const w = writes();
    const lazy = w.runLazily(insert(1));
    const started = performance.now();
    await w.idle();
    expect(performance.now() - started).toBeLessThan(LAZY_MS);
    await lazy;
    expect(await rows()).toEqual([1]);
  });
});
