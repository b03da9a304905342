/**
 * What the admins' status page reads: portals a page at a time (searched and paged in SQL, so
 * 10,000 portals cost one small query), recent failures, failures grouped by reason, the
 * backlog of both directions and the database's size.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { StatusQueries } from './store.js';

/** `LIKE` pattern for "contains", with the wildcards of the search text taken literally. */
const contains = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function createStatusQueries(
  db: Kysely<Database>,
  dialect: 'sqlite' | 'postgres',
): StatusQueries {
  return {
    async portalsPage({ search, bridge, offset, limit }) {
      let base = db.selectFrom('portals');
      if (bridge) base = base.where('portals.bridge', '=', bridge);
      if (search) {
        const pattern = contains(search);
        base = base.where((eb) =>
          eb.or(
            ['portal_key', 'room_id', 'bridge'].map(
              (col) =>
                sql<boolean>`lower(${sql.ref(`portals.${col}`)}) like ${pattern} escape '\\'`,
            ),
          ),
        );
      }
      const total = await base
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      // Successes are recorded per event, not per bridge (core's `health` reads them the same way);
      // a failure names the bridge it failed in.
      const lastSuccess = sql<number | null>`(select max(i.finished_at) from inbox i
        where i.room_id = portals.room_id and i.state = 'done')`;
      const lastFailure = sql<number | null>`(select max(i.finished_at) from inbox i
        where i.room_id = portals.room_id and i.state = 'failed' and i.bridge = portals.bridge)`;
      const rows = await base
        .select(['bridge', 'portal_key', 'room_id', 'created_at'])
        .select([lastSuccess.as('last_success'), lastFailure.as('last_failure')])
        .orderBy('bridge')
        .orderBy('portal_key')
        .offset(offset)
        .limit(limit)
        .execute();
      return {
        total: Number(total.n),
        rows: rows.map((r) => ({
          bridge: r.bridge,
          portalKey: r.portal_key,
          roomId: r.room_id,
          createdAt: Number(r.created_at),
          lastSuccess: r.last_success === null ? undefined : Number(r.last_success),
          lastFailure: r.last_failure === null ? undefined : Number(r.last_failure),
        })),
      };
    },

    async recentFailures(limit) {
      const rows = await db
        .selectFrom('inbox')
        .select(['event_id', 'room_id', 'bridge', 'reason', 'finished_at'])
        .where('state', '=', 'failed')
        .where('finished_at', 'is not', null)
        .orderBy('finished_at', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        eventId: r.event_id,
        roomId: r.room_id,
        bridge: r.bridge,
        reason: r.reason,
        finishedAt: Number(r.finished_at),
      }));
    },

    async failureReasons(limit) {
      const rows = await db
        .selectFrom('inbox')
        .select(['bridge', 'reason'])
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('finished_at').as('last')])
        .where('state', '=', 'failed')
        .where('finished_at', 'is not', null)
        .groupBy(['bridge', 'reason'])
        .orderBy('n', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        bridge: r.bridge,
        reason: r.reason,
        count: Number(r.n),
        last: Number(r.last),
      }));
    },

    async roomOutcomes(roomId, limit) {
      const rows = await db
        .selectFrom('inbox')
        .select(['event_id', 'state', 'bridge', 'reason', 'received_at', 'finished_at'])
        .where('room_id', '=', roomId)
        .orderBy('seq', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        eventId: r.event_id,
        state: r.state,
        bridge: r.bridge,
        reason: r.reason,
        receivedAt: Number(r.received_at),
        finishedAt: r.finished_at === null ? undefined : Number(r.finished_at),
      }));
    },

    async backlog() {
      const count = async (q: Promise<{ n: number | string }>) => Number((await q).n);
      const [inbox, outbox] = await Promise.all([
        count(
          db
            .selectFrom('inbox')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('state', '=', 'pending')
            .executeTakeFirstOrThrow(),
        ),
        count(
          db
            .selectFrom('outbox')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow(),
        ),
      ]);
      return { inbox, outbox };
    },

    async sizeBytes() {
      const query =
        dialect === 'sqlite'
          ? sql<{
              size: number | string | null;
            }>`select page_count * page_size as size from pragma_page_count(), pragma_page_size()`
          : // The bridge's own schema: several bridges may share one database.
            sql<{ size: number | string | null }>`select sum(pg_total_relation_size(c.oid)) as size
              from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where n.nspname = current_schema() and c.relkind = 'r'`;
      const { rows } = await query.execute(db);
      const size = rows[0]?.size;
      return size === null || size === undefined ? undefined : Number(size);
    },
  };
}
