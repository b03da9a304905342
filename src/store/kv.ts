/**
 * A small key-value store per namespace: `core` for core, `bridge:<id>` for each bridge. Writes go
 * through group commit: writes issued together (a bridge saving several records at once) share
 * one transaction and one flush to disk, each still resolving only once it is durable.
 */
import type { Kysely } from 'kysely';
import type { GroupCommit } from './group-commit.js';
import type { Database } from './schema.js';
import type { KeyValue } from './store.js';

export function createKeyValue(db: Kysely<Database>, writes: GroupCommit): KeyValue {
  return {
    async get(namespace, key) {
      const row = await db
        .selectFrom('kv')
        .select('value')
        .where('namespace', '=', namespace)
        .where('key', '=', key)
        .executeTakeFirst();
      return row?.value;
    },

    async set(namespace, key, value) {
      await writes.run((trx) =>
        trx
          .insertInto('kv')
          .values({ namespace, key, value })
          .onConflict((oc) => oc.columns(['namespace', 'key']).doUpdateSet({ value }))
          .execute(),
      );
    },

    async delete(namespace, key) {
      await writes.run((trx) =>
        trx.deleteFrom('kv').where('namespace', '=', namespace).where('key', '=', key).execute(),
      );
    },
  };
}
