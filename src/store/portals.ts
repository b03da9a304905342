/**
 * Portals: a (bridge, portal key) linked to a Matrix room. One room may be
 * linked to several bridges at once, so lookups by room return a list.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database, PortalsTable } from './schema.js';
import type { PortalRow, Portals } from './store.js';

function toPortal(row: Selectable<PortalsTable>): PortalRow {
  return {
    bridge: row.bridge,
    portalKey: row.portal_key,
    roomId: row.room_id,
    metadata: row.metadata,
    createdAt: row.created_at,
  };
}

export function createPortals(db: Kysely<Database>): Portals {
  return {
    async get(bridge, portalKey) {
      const row = await db
        .selectFrom('portals')
        .selectAll()
        .where('bridge', '=', bridge)
        .where('portal_key', '=', portalKey)
        .executeTakeFirst();
      return row && toPortal(row);
    },

    async byRoom(roomId) {
      const rows = await db
        .selectFrom('portals')
        .selectAll()
        .where('room_id', '=', roomId)
        .orderBy('bridge')
        .orderBy('portal_key')
        .execute();
      return rows.map(toPortal);
    },

    async list(bridge) {
      let query = db.selectFrom('portals').selectAll();
      if (bridge !== undefined) query = query.where('bridge', '=', bridge);
      const rows = await query.orderBy('bridge').orderBy('portal_key').execute();
      return rows.map(toPortal);
    },

    async upsert(row) {
      // created_at is kept from the first insert.
      await db
        .insertInto('portals')
        .values({
          bridge: row.bridge,
          portal_key: row.portalKey,
          room_id: row.roomId,
          metadata: row.metadata,
          created_at: Date.now(),
        })
        .onConflict((oc) =>
          oc.columns(['bridge', 'portal_key']).doUpdateSet((eb) => ({
            room_id: eb.ref('excluded.room_id'),
            metadata: eb.ref('excluded.metadata'),
          })),
        )
        .execute();
    },

    async delete(bridge, portalKey) {
      const result = await db
        .deleteFrom('portals')
        .where('bridge', '=', bridge)
        .where('portal_key', '=', portalKey)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
