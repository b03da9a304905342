import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { CompiledBatch } from './compiled-batch.js';
import type { Database } from './schema.js';

/** The store's kv table, made by hand, and the SQL texts the statements were prepared from. */
function db(): { k: Kysely<Database>; texts: Set<string> } {
  const sqlite = new SqliteDatabase(':memory:');
  sqlite.exec(
    'create table kv (namespace text, key text, value text, primary key (namespace, key))',
  );
  const texts = new Set<string>();
  const counting = {
    close: () => sqlite.close(),
    prepare: (sql: string) => (texts.add(sql), sqlite.prepare(sql)),
  };
  return { k: new Kysely<Database>({ dialect: new SqliteDialect({ database: counting }) }), texts };
}

const put = () =>
  new CompiledBatch<{ key: string }, { value: string }, { key: string }>((d, n, row, arg) =>
    d
      .insertInto('kv')
      .values(
        Array.from({ length: n }, (_, i) => ({
          namespace: 'core',
          key: row(i, 'key'),
          value: arg('value'),
        })),
      )
      .returning('key'),
  );

const keys = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ key: `k${from + i}` }));

describe('CompiledBatch', () => {
  let open: Kysely<Database> | undefined;
  afterEach(async () => open?.destroy());

  it("runs every row, in order, with the call's values and the builder's constants", async () => {
    const { k } = db();
    open = k;
    const returned = await put().execute(k, keys(7), { value: 'v' });
    expect(returned.map((r) => r.key)).toEqual(keys(7).map((r) => r.key));
    const rows = await k.selectFrom('kv').selectAll().orderBy('key').execute();
    expect(rows).toHaveLength(7);
    expect(rows.every((r) => r.namespace === 'core' && r.value === 'v')).toBe(true);
    expect(await put().execute(k, [], { value: 'v' })).toEqual([]);
  });

  it('uses a few shapes of the statement whatever the row counts (each a statement to prepare)', async () => {
    const { k, texts } = db();
    open = k;
    const statement = put();
    let from = 0;
    for (let n = 1; n <= 300; n += 7) {
      await statement.execute(k, keys(n, from), { value: 'v' });
      from += n;
    }
    expect(texts.size).toBeLessThanOrEqual(9); // 1, 2, 4, … 256 rows
    expect((await k.selectFrom('kv').select('key').execute()).length).toBe(from);
  });

  it('fills an in-list from the rows', async () => {
    const { k } = db();
    open = k;
    await put().execute(k, keys(20), { value: 'old' });
    const mark = new CompiledBatch<{ key: string }, { value: string }, unknown>((d, n, row, arg) =>
      d
        .updateTable('kv')
        .set({ value: arg('value') })
        .where(
          'key',
          'in',
          Array.from({ length: n }, (_, i) => row(i, 'key')),
        ),
    );
    await mark.execute(k, keys(13, 5), { value: 'new' });
    const rows = await k.selectFrom('kv').selectAll().where('value', '=', 'new').execute();
    expect(rows.map((r) => r.key).sort()).toEqual(
      keys(13, 5)
        .map((r) => r.key)
        .sort(),
    );
  });
});
