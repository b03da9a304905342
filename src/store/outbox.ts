/**
 * The persistent outbox: remote → Matrix events wait here until the
 * homeserver accepted them, across outages and restarts.
 */
import type { Kysely } from 'kysely';
import { CompiledStatement } from './compiled-query.js';
import type { MappingStatements, PendingMappings } from './message-map.js';
import type { GroupCommit } from './group-commit.js';
import type { Database } from './schema.js';
import type { Outbox, OutboxEntry } from './store.js';

const entryColumns = ['id', 'bridge', 'room_id', 'json', 'attempts', 'ref'] as const;

function toEntry(row: {
  id: number;
  bridge: string;
  room_id: string;
  json: string;
  attempts: number;
  ref: string | null;
}): OutboxEntry {
  return {
    id: row.id,
    bridge: row.bridge,
    roomId: row.room_id,
    json: row.json,
    attempts: row.attempts,
    ...(row.ref !== null ? { ref: row.ref } : {}),
  };
}

export function createOutbox(
  db: Kysely<Database>,
  writes: GroupCommit,
  pending: PendingMappings,
  mappings: MappingStatements,
): Outbox {
  const insert = new CompiledStatement<
    { bridge: string; roomId: string; json: string; ref: string | null; createdAt: number },
    Parameters<typeof toEntry>[0]
  >((d, arg) =>
    d
      .insertInto('outbox')
      .values({
        bridge: arg('bridge'),
        room_id: arg('roomId'),
        json: arg('json'),
        attempts: 0,
        created_at: arg('createdAt'),
        ref: arg('ref'),
      })
      .returning(entryColumns),
  );
  const remove = new CompiledStatement<{ id: number }, unknown>((d, arg) =>
    d.deleteFrom('outbox').where('id', '=', arg('id')),
  );
  return {
    async add(entry, durable = true) {
      const row = await writes.run(async (trx) => {
        const inserted = await insert.first(trx, {
          ...entry,
          ref: entry.ref ?? null,
          createdAt: Date.now(),
        });
        if (!inserted) throw new Error('the outbox insert returned no row');
        return inserted;
      }, durable);
      return toEntry(row);
    },

    async pending() {
      const rows = await db.selectFrom('outbox').select(entryColumns).orderBy('id').execute();
      return rows.map(toEntry);
    },

    complete(id, mapping) {
      // Together, so a crash can neither resend a mapped message nor lose its mapping. Lazily:
      // a crash that loses it sends the event again with its txnId, which the homeserver
      // answers with the event it already made.
      const committed = writes.runLazily(async (trx) => {
        await remove.execute(trx, { id });
        if (mapping) await mappings.add(trx, mapping);
      });
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
