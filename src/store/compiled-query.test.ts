import { Kysely, SqliteDialect } from 'kysely';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { CompiledStatement } from './compiled-query.js';
import type { Database } from './schema.js';

// The store's kv table, made by hand: only the statement's plumbing is under test here.
function db(): Kysely<Database> {
  const sqlite = new SqliteDatabase(':memory:');
  sqlite.exec(
    'create table kv (namespace text, key text, value text, primary key (namespace, key))',
  );
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
}

describe('CompiledStatement', () => {
  let open: Kysely<Database> | undefined;
  afterEach(async () => open?.destroy());

  it("runs one compiled query with each call's values, keeping the constants the builder wrote", async () => {
    const k = (open = db());
    const put = new CompiledStatement<{ key: string; value: string }, unknown>((d, arg) =>
      d.insertInto('kv').values({ namespace: 'core', key: arg('key'), value: arg('value') }),
    );
    const get = new CompiledStatement<{ key: string }, { value: string }>((d, arg) =>
      d
        .selectFrom('kv')
        .select('value')
        .where('namespace', '=', 'core')
        .where('key', '=', arg('key')),
    );
    await put.execute(k, { key: 'a', value: 'one' });
    await put.execute(k, { key: 'b', value: 'two' });
    await k.insertInto('kv').values({ namespace: 'other', key: 'a', value: 'not this' }).execute();
    expect(await get.first(k, { key: 'b' })).toEqual({ value: 'two' });
    expect(await get.first(k, { key: 'a' })).toEqual({ value: 'one' });
    expect(await get.first(k, { key: 'c' })).toBeUndefined();
  });

  it('refuses a builder that drops an argument, rather than running without it', async () => {
    const k = (open = db());
    const broken = new CompiledStatement<{ key: string }, unknown>((d, arg) => {
      arg('key');
      return d.selectFrom('kv').selectAll().where('namespace', '=', 'core');
    });
    await expect(broken.execute(k, { key: 'a' })).rejects.toThrow(/argument key/);
  });
});
