/**
 * The persistent outbox: remote → Matrix events wait here until the
 * homeserver accepted them, across outages and restarts.
 */
import type { Kysely } from 'kysely';
import { addMapping, type PendingMappings } from './message-map.js';
import type { GroupCommit } from './group-commit.js';
import type { Database } from './schema.js';
import type { Outbox, OutboxEntry } from './store.js';

const entryColumns = ['id', 'bridge', 'room_id', 'json', 'attempts'] as const;

function toEntry(row: {
  id: number;
  bridge: string;
  room_id: string;
  json: string;
  attempts: number;
}): OutboxEntry {
  return {
    id: row.id,
    bridge: row.bridge,
    roomId: row.room_id,
    json: row.json,
    attempts: row.attempts,
  };
}

export function createOutbox(
  db: Kysely<Database>,
  writes: GroupCommit,
  pending: PendingMappings,
): Outbox {
  return {
    async add(entry, durable = true) {
      const row = await writes.run(
        (trx) =>
          trx
            .insertInto('outbox')
            .values({
              bridge: entry.bridge,
              room_id: entry.roomId,
              json: entry.json,
              attempts: 0,
              created_at: Date.now(),
            })
            .returning(entryColumns)
            .executeTakeFirstOrThrow(),
        durable,
      );
      return toEntry(row);
    },

    async pending() {
      const rows = await db.selectFrom('outbox').select(entryColumns).orderBy('id').execute();
      return rows.map(toEntry);
    },

    complete(id, mapping) {
      // Together, so a crash can neither resend a mapped message nor lose its mapping.
      const committed = writes.run(async (trx) => {
        await trx.deleteFrom('outbox').where('id', '=', id).execute();
        if (mapping) await addMapping(trx, mapping);
      }, false);
      if (mapping) pending.hold(mapping, committed);
      return committed;
    },

    async recordAttempt(id, error) {
      await writes.run((trx) =>
        trx
          .updateTable('outbox')
          .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: error }))
          .where('id', '=', id)
          .execute(),
      );
    },
  };
}
