/** Ghosts: the Matrix puppets of remote users, and whether they are registered yet. */
import type { Kysely, Selectable } from 'kysely';
import type { Database, GhostsTable } from './schema.js';
import type { GhostRow, Ghosts } from './store.js';

function toGhost(row: Selectable<GhostsTable>): GhostRow {
  return {
    userId: row.user_id,
    bridge: row.bridge,
    remoteId: row.remote_id,
    displayName: row.display_name,
    avatarUrl: row.avatar_url,
    registered: row.registered !== 0,
  };
}

export function createGhosts(db: Kysely<Database>): Ghosts {
  return {
    async get(userId) {
      const row = await db
        .selectFrom('ghosts')
        .selectAll()
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row && toGhost(row);
    },

    async upsert(row) {
      const values = {
        user_id: row.userId,
        bridge: row.bridge,
        remote_id: row.remoteId,
        display_name: row.displayName,
        avatar_url: row.avatarUrl,
        registered: row.registered ? 1 : 0,
      };
      const { user_id: _key, ...changes } = values;
      await db
        .insertInto('ghosts')
        .values(values)
        .onConflict((oc) => oc.column('user_id').doUpdateSet(changes))
        .execute();
    },
  };
}
