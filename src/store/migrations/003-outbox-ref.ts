/**
 * A bridge may name an emitted event (`EmitOptions.ref`): stored with its outbox row, so the
 * bridge hears what became of it (delivered or given up) even after a restart in between.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('outbox').addColumn('ref', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('outbox').dropColumn('ref').execute();
}
