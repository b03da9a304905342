import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { commitModes } from './commit-modes.js';
import { CompiledStatement } from './compiled-query.js';
import { GroupCommit } from './group-commit.js';
import type { Database } from './schema.js';
import { SqliteDirect } from './sqlite-direct.js';

// The store's kv table, made by hand: what is under test is which transaction a statement lands in.
function open() {
  const sqlite = new SqliteDatabase(':memory:');
  sqlite.exec(
    'create table kv (namespace text, key text, value text, primary key (namespace, key))',
  );
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  const direct = new SqliteDirect(sqlite);
  const put = new CompiledStatement<{ key: string; value: string }, unknown>(
    (d, arg) =>
      d.insertInto('kv').values({ namespace: 'core', key: arg('key'), value: arg('value') }),
    direct,
  );
  const get = new CompiledStatement<{ key: string }, { value: string }>(
    (d, arg) =>
      d
        .selectFrom('kv')
        .select('value')
        .where('namespace', '=', 'core')
        .where('key', '=', arg('key')),
    direct,
  );
  return { db, direct, put, get };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('compiled statements on SQLite directly', () => {
  let db: Kysely<Database> | undefined;
  afterEach(async () => db?.destroy());

  it("runs inside the caller's own transaction without Kysely's executor, and commits with it", async () => {
    const s = open();
    db = s.db;
    await s.db.transaction().execute(async (trx) => {
      const viaKysely = vi.spyOn(trx, 'executeQuery');
      await s.put.execute(trx, { key: 'a', value: 'one' });
      expect(await s.get.first(trx, { key: 'a' })).toEqual({ value: 'one' });
      expect(viaKysely).not.toHaveBeenCalled();
    });
    expect(await s.get.first(s.db, { key: 'a' })).toEqual({ value: 'one' });
  });

  it("never lands in someone else's open transaction: it waits for it, and outlives its rollback", async () => {
    const s = open();
    db = s.db;
    let readDuring: Promise<{ value: string } | undefined> | undefined;
    let writeDuring: Promise<unknown> | undefined;
    let readSettled = false;
    const failed = s.db
      .transaction()
      .execute(async (trx) => {
        await s.put.execute(trx, { key: 'a', value: 'uncommitted' });
        readDuring = s.get.first(s.db, { key: 'a' });
        void readDuring.then(() => (readSettled = true));
        writeDuring = s.put.execute(s.db, { key: 'b', value: 'its own' });
        await turn();
        expect(readSettled).toBe(false); // waiting for the connection, not reading inside
        throw new Error('this transaction is rolled back');
      })
      .catch((err: unknown) => err);
    expect(await failed).toBeInstanceOf(Error);
    expect(await readDuring).toBeUndefined();
    await writeDuring;
    expect(await s.get.first(s.db, { key: 'a' })).toBeUndefined();
    expect(await s.get.first(s.db, { key: 'b' })).toEqual({ value: 'its own' });
  });

  it("runs group commit's transactions itself: Kysely's queries wait for them, a failed one is rolled back", async () => {
    const s = open();
    db = s.db;
    const writes = new GroupCommit(s.db, commitModes('sqlite', undefined, s.direct));
    let kyselyRead: Promise<unknown> | undefined;
    let readSettled = false;
    await writes.run(async (trx) => {
      await s.put.execute(trx, { key: 'a', value: 'one' });
      kyselyRead = s.db.selectFrom('kv').selectAll().execute();
      void kyselyRead.then(() => (readSettled = true));
      await turn();
      expect(readSettled).toBe(false); // Kysely's connection is held until the commit
    });
    expect(await kyselyRead).toEqual([{ namespace: 'core', key: 'a', value: 'one' }]);
    const refused = writes.run(async (trx) => {
      await s.put.execute(trx, { key: 'b', value: 'two' });
      throw new Error('refused');
    });
    await expect(refused).rejects.toThrow('refused');
    expect(await s.get.first(s.db, { key: 'b' })).toBeUndefined();
    expect(await s.get.first(s.db, { key: 'a' })).toEqual({ value: 'one' });
  });
});
