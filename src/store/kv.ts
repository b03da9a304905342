/** A small key-value store per namespace: `core` for core, `bridge:<id>` for each bridge. */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { KeyValue } from './store.js';

export function createKeyValue(db: Kysely<Database>): KeyValue {
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
      await db
        .insertInto('kv')
        .values({ namespace, key, value })
        .onConflict((oc) => oc.columns(['namespace', 'key']).doUpdateSet({ value }))
        .execute();
    },

    async delete(namespace, key) {
      await db.deleteFrom('kv').where('namespace', '=', namespace).where('key', '=', key).execute();
    },
  };
}
