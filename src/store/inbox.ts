/**
 * The durable inbox: every Matrix event is stored here before the homeserver
 * gets its 200, and stays `pending` until core records an outcome. Dedupe is
 * by event id (unique forever), so it survives txnId counter resets.
 */
import { createHash } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { CompiledBatch } from './compiled-batch.js';
import type { GroupCommit, WriteJob } from './group-commit.js';
import type { Database, InboxTable } from './schema.js';
import type { AddTransactionResult, Inbox, InboxEvent, InboxOutcome } from './store.js';

const eventColumns = ['seq', 'event_id', 'room_id', 'txn_id', 'json', 'state', 'bridge'] as const;
type InboxRow = Pick<Selectable<InboxTable>, (typeof eventColumns)[number]>;

function toEvent(row: InboxRow): InboxEvent {
  const event: InboxEvent = {
    seq: row.seq,
    eventId: row.event_id,
    roomId: row.room_id,
    txnId: row.txn_id,
    json: row.json,
  };
  // `bridge` on an unfinished row is left from a failure that is being retried:
  // the retry (and its replay after a crash) goes only to that bridge.
  if (row.bridge !== null && row.state !== 'done') event.failedBridge = row.bridge;
  return event;
}

/** Same event ids in the same order ⇒ the same transaction retried. */
function fingerprint(eventIds: string[]): string {
  return createHash('sha256').update(eventIds.join('\n')).digest('hex');
}

export function createInbox(db: Kysely<Database>, writes: GroupCommit): Inbox {
  const insertEvents = new CompiledBatch<
    { eventId: string; roomId: string; json: string },
    { txnId: string; now: number },
    { seq: number; event_id: string }
  >((d, n, row, arg) =>
    d
      .insertInto('inbox')
      .values(
        Array.from({ length: n }, (_, i) => ({
          event_id: row(i, 'eventId'),
          room_id: row(i, 'roomId'),
          txn_id: arg('txnId'),
          json: row(i, 'json'),
          state: 'pending' as const,
          received_at: arg('now'),
        })),
      )
      .onConflict((oc) => oc.column('event_id').doNothing())
      .returning(['seq', 'event_id']),
  );
  const markDone = new CompiledBatch<
    { eventId: string },
    { bridge: string | null; now: number },
    unknown
  >((d, n, row, arg) =>
    d
      .updateTable('inbox')
      .set({
        state: 'done',
        bridge: arg('bridge'),
        reason: null,
        notice_event_id: null,
        finished_at: arg('now'),
      })
      .where(
        'event_id',
        'in',
        Array.from({ length: n }, (_, i) => row(i, 'eventId')),
      ),
  );
  return {
    async addTransaction(txnId, events, stored): Promise<AddTransactionResult> {
      const print = fingerprint(events.map((e) => e.eventId));
      const now = Date.now();
      const store: WriteJob<AddTransactionResult> = async (trx) => {
        // Write first: on SQLite this takes the write lock at once (honouring
        // busy_timeout); on PostgreSQL a concurrent retry of the same txnId
        // waits here for the first one to commit, then sees its row.
        const claimed = await trx
          .insertInto('inbox_txns')
          .values({ txn_id: txnId, fingerprint: print, received_at: now })
          .onConflict((oc) => oc.column('txn_id').doNothing())
          .returning('txn_id')
          .executeTakeFirst();
        let txnIdReset = false;
        if (!claimed) {
          const seen = await trx
            .selectFrom('inbox_txns')
            .select('fingerprint')
            .where('txn_id', '=', txnId)
            .executeTakeFirstOrThrow();
          // A retry: its events were stored in the same database transaction as this row.
          if (seen.fingerprint === print) return { added: [], txnIdReset: false, repeat: true };
          txnIdReset = true;
          await trx
            .updateTable('inbox_txns')
            .set({ fingerprint: print, received_at: now })
            .where('txn_id', '=', txnId)
            .execute();
        }

        const inserted = new Map<string, number>();
        for (const row of await insertEvents.execute(trx, events, { txnId, now }))
          inserted.set(row.event_id, row.seq);
        // RETURNING order is unspecified, so rebuild the order from the input.
        const added: InboxEvent[] = [];
        for (const e of events) {
          const seq = inserted.get(e.eventId);
          if (seq === undefined) continue;
          inserted.delete(e.eventId); // an id repeated within one transaction counts once
          added.push({ seq, eventId: e.eventId, roomId: e.roomId, txnId, json: e.json });
        }
        return { added, txnIdReset, repeat: false };
      };
      return writes.run(store, true, stored);
    },

    async pending() {
      const rows = await db
        .selectFrom('inbox')
        .select(eventColumns)
        .where('state', '=', 'pending')
        .orderBy('seq')
        .execute();
      return rows.map(toEvent);
    },

    async finish(outcomes: InboxOutcome[]) {
      if (outcomes.length === 0) return;
      const now = Date.now();
      // The last outcome for an event wins, as if applied one by one.
      const latest = new Map(outcomes.map((o) => [o.eventId, o]));
      const doneByBridge = new Map<string | null, InboxOutcome[]>();
      const failed: InboxOutcome[] = [];
      for (const o of latest.values()) {
        if (o.state === 'failed') failed.push(o);
        else {
          const done = doneByBridge.get(o.bridge);
          if (done) done.push(o);
          else doneByBridge.set(o.bridge, [o]);
        }
      }
      const write: WriteJob<void> = async (trx) => {
        // Successes are the bulk: one statement per bridge instead of one per event.
        for (const [bridge, done] of doneByBridge)
          await markDone.execute(trx, done, { bridge, now });
        for (const o of failed) {
          await trx
            .updateTable('inbox')
            .set({
              state: 'failed',
              bridge: o.bridge,
              reason: o.reason ?? null,
              notice_event_id: o.noticeEventId ?? null,
              finished_at: now,
            })
            .where('event_id', '=', o.eventId)
            .execute();
        }
      };
      // Successes reach the disk with the next flushed write (the next transaction's, say), not
      // a sync of their own: a power cut within those ms replays them (at least once, as the
      // batch's few ms already allow a crash of the process). A failure is flushed at once.
      await (failed.length > 0 ? writes.run(write) : writes.runFlushedSoon(write));
    },

    async failedByNotice(noticeEventId) {
      const row = await db
        .selectFrom('inbox')
        .select(eventColumns)
        .where('notice_event_id', '=', noticeEventId)
        .where('state', '=', 'failed')
        .executeTakeFirst();
      return row && toEvent(row);
    },

    async failedInRoom(roomId, limit) {
      const rows = await db
        .selectFrom('inbox')
        .select(eventColumns)
        .where('room_id', '=', roomId)
        .where('state', '=', 'failed')
        .orderBy('finished_at', 'desc')
        .orderBy('seq', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toEvent);
    },

    async retry(eventId) {
      const row = await db
        .updateTable('inbox')
        .set({ state: 'pending', reason: null, notice_event_id: null, finished_at: null })
        .where('event_id', '=', eventId)
        .where('state', '=', 'failed')
        .returning(eventColumns)
        .executeTakeFirst();
      return row && toEvent(row);
    },

    async health(roomId) {
      const latest = (state: 'done' | 'failed') =>
        db
          .selectFrom('inbox')
          .select(['finished_at', 'reason'])
          .where('room_id', '=', roomId)
          .where('state', '=', state)
          .orderBy('finished_at', 'desc')
          .limit(1)
          .executeTakeFirst();
      const [success, failure] = [await latest('done'), await latest('failed')];
      const result: { lastSuccess?: number; lastFailure?: number; lastFailureReason?: string } = {};
      if (success?.finished_at != null) result.lastSuccess = success.finished_at;
      if (failure?.finished_at != null) result.lastFailure = failure.finished_at;
      if (failure?.reason != null) result.lastFailureReason = failure.reason;
      return result;
    },

    async prune(beforeMs) {
      return writes.run(async (trx) => {
        const deleted = await trx
          .deleteFrom('inbox')
          .where('state', '!=', 'pending')
          .where('finished_at', '<', beforeMs)
          .executeTakeFirst();
        // Old txnIds go too: a homeserver only retries a transaction until it gets its 200.
        await trx.deleteFrom('inbox_txns').where('received_at', '<', beforeMs).execute();
        return Number(deleted.numDeletedRows);
      });
    },

    async scrub(eventId) {
      const row = await db
        .selectFrom('inbox')
        .select('json')
        .where('event_id', '=', eventId)
        .executeTakeFirst();
      if (!row) return false;
      const json = JSON.stringify(scrubbed(row.json));
      return writes.run(async (trx) => {
        const updated = await trx
          .updateTable('inbox')
          .set({ json })
          .where('event_id', '=', eventId)
          .executeTakeFirst();
        return Number(updated.numUpdatedRows) > 0;
      });
    },
  };
}

/** An event with its content gone, as a redaction leaves it: who, where, when and what kind. */
function scrubbed(json: string): Record<string, unknown> {
  let event: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(json);
    if (parsed && typeof parsed === 'object') event = parsed as Record<string, unknown>;
  } catch {
    // unreadable: nothing of it is kept
  }
  const kept: Record<string, unknown> = { content: {} };
  for (const key of ['event_id', 'room_id', 'sender', 'type', 'origin_server_ts', 'state_key'])
    if (key in event) kept[key] = event[key];
  return kept;
}
