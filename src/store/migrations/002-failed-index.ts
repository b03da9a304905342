/**
 * The status page lists the latest failures of all rooms and groups them by reason: a partial
 * index keeps that to the (few) failed rows, however large the inbox of finished events grows.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('inbox_failed')
    .on('inbox')
    .column('finished_at')
    .where(sql.ref('state'), '=', 'failed')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('inbox_failed').ifExists().execute();
}
