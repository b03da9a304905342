/**
 * The first schema: inbox, outbox, portals, ghosts, message map and kv.
 * Times are `bigint` on both dialects (SQLite gives it integer affinity).
 */
import { sql, type Kysely } from 'kysely';
import { autoId, autoIdType } from './dialect.js';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('inbox_txns')
    .addColumn('txn_id', 'text', (c) => c.primaryKey())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('inbox')
    .addColumn('seq', autoIdType(db), autoId(db))
    .addColumn('event_id', 'text', (c) => c.notNull().unique())
    .addColumn('room_id', 'text', (c) => c.notNull())
    .addColumn('txn_id', 'text', (c) => c.notNull())
    .addColumn('json', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) =>
      c
        .notNull()
        .defaultTo('pending')
        .check(sql`state in ('pending', 'done', 'failed')`),
    )
    .addColumn('bridge', 'text')
    .addColumn('reason', 'text')
    .addColumn('notice_event_id', 'text')
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  // Partial indexes stay tiny: few rows are pending, few carry a notice.
  await db.schema
    .createIndex('inbox_pending')
    .on('inbox')
    .column('seq')
    .where(sql.ref('state'), '=', 'pending')
    .execute();
  await db.schema
    .createIndex('inbox_notice')
    .on('inbox')
    .column('notice_event_id')
    .where(sql.ref('notice_event_id'), 'is not', null)
    .execute();
  // Serves health (latest done/failed per room), failedInRoom and prune by age.
  await db.schema
    .createIndex('inbox_room_health')
    .on('inbox')
    .columns(['room_id', 'state', 'finished_at'])
    .execute();

  await db.schema
    .createTable('outbox')
    .addColumn('id', autoIdType(db), autoId(db))
    .addColumn('bridge', 'text', (c) => c.notNull())
    .addColumn('room_id', 'text', (c) => c.notNull())
    .addColumn('json', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('portals')
    .addColumn('bridge', 'text', (c) => c.notNull())
    .addColumn('portal_key', 'text', (c) => c.notNull())
    .addColumn('room_id', 'text', (c) => c.notNull())
    .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('portals_pk', ['bridge', 'portal_key'])
    .execute();
  await db.schema.createIndex('portals_room').on('portals').column('room_id').execute();

  await db.schema
    .createTable('ghosts')
    .addColumn('user_id', 'text', (c) => c.primaryKey())
    .addColumn('bridge', 'text', (c) => c.notNull())
    .addColumn('remote_id', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text')
    .addColumn('avatar_url', 'text')
    .addColumn('registered', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('message_map')
    .addColumn('bridge', 'text', (c) => c.notNull())
    .addColumn('portal_key', 'text', (c) => c.notNull())
    .addColumn('remote_id', 'text', (c) => c.notNull())
    .addColumn('room_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addUniqueConstraint('message_map_remote', ['bridge', 'portal_key', 'remote_id'])
    .execute();
  await db.schema
    .createIndex('message_map_event')
    .on('message_map')
    .columns(['bridge', 'event_id'])
    .execute();

  await db.schema
    .createTable('kv')
    .addColumn('namespace', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('kv_pk', ['namespace', 'key'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['kv', 'message_map', 'ghosts', 'portals', 'outbox', 'inbox', 'inbox_txns']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
