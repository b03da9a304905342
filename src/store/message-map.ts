/**
 * Which Matrix event a remote message became, and back: for edits, replies,
 * reactions and redactions across the bridge.
 */
import type { Kysely, Selectable } from 'kysely';
import type { GroupCommit } from './group-commit.js';
import type { Database, MessageMapTable } from './schema.js';
import type { MessageMap, MessageMapping } from './store.js';

function toMapping(row: Selectable<MessageMapTable>): MessageMapping {
  return {
    bridge: row.bridge,
    portalKey: row.portal_key,
    remoteId: row.remote_id,
    roomId: row.room_id,
    eventId: row.event_id,
  };
}

/** Insert-or-ignore: the first event a remote message became stays its mapping. */
export async function addMapping(db: Kysely<Database>, m: MessageMapping): Promise<void> {
  await db
    .insertInto('message_map')
    .values({
      bridge: m.bridge,
      portal_key: m.portalKey,
      remote_id: m.remoteId,
      room_id: m.roomId,
      event_id: m.eventId,
    })
    .onConflict((oc) => oc.columns(['bridge', 'portal_key', 'remote_id']).doNothing())
    .execute();
}

export function createMessageMap(db: Kysely<Database>, writes: GroupCommit): MessageMap {
  return {
    add: (row) => writes.run((trx) => addMapping(trx, row)),

    async byEvent(bridge, eventId) {
      const row = await db
        .selectFrom('message_map')
        .selectAll()
        .where('bridge', '=', bridge)
        .where('event_id', '=', eventId)
        .orderBy('remote_id') // one event may carry several remote ids: answer the same one every time
        .limit(1)
        .executeTakeFirst();
      return row && toMapping(row);
    },

    async byRemote(bridge, portalKey, remoteId) {
      const row = await db
        .selectFrom('message_map')
        .selectAll()
        .where('bridge', '=', bridge)
        .where('portal_key', '=', portalKey)
        .where('remote_id', '=', remoteId)
        .executeTakeFirst();
      return row && toMapping(row);
    },
  };
}
