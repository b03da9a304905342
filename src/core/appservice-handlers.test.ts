import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ClientEvent } from '../matrix/events.js';
import { appserviceHandlers, OWN_ONLY_HOLD_MS } from './appservice-handlers.js';

const BOT = '@bot:hs';
const event = (sender: string, n: number): ClientEvent =>
  ({
    event_id: `$e${n}`,
    room_id: '!room:hs',
    sender,
    type: 'm.room.message',
    origin_server_ts: n,
    content: { msgtype: 'm.text', body: `line ${n}` },
  }) as ClientEvent;

type Deps = Parameters<typeof appserviceHandlers>[0];
type Row = { eventId: string; roomId: string; json: string };

/**
 * The handlers, with a delivery whose sends still going finish when `sent()` is called; `store`
 * stands in for the inbox's `addTransaction` (by default it records the ids and adds nothing).
 */
function handlers(
  store?: (txnId: string, rows: Row[], stored?: (r: unknown) => void) => Promise<unknown>,
) {
  const stored: string[] = [];
  const routed: string[] = [];
  const holds: number[] = [];
  let sent!: () => void;
  const allSentNow = new Promise<void>((resolve) => (sent = resolve));
  const h = appserviceHandlers({
    store: {
      inbox: {
        addTransaction:
          store ??
          (async (_txnId: string, rows: Row[]) => {
            stored.push(...rows.map((r) => r.eventId));
            return { repeat: false, txnIdReset: false, added: [] };
          }),
      },
    },
    router: {
      enqueue: (row: { eventId: string }) => routed.push(row.eventId),
      enqueueEphemeral: () => undefined,
    },
    runtimes: new Map(),
    portals: { inRoom: async () => [] },
    metrics: { ownEvents: { inc: () => undefined }, transactions: { inc: () => undefined } },
    log: pino({ level: 'silent' }),
    botUserId: BOT,
    delivery: {
      allSent: (maxMs: number) => {
        holds.push(maxMs);
        return allSentNow;
      },
    },
  } as unknown as Deps);
  return { h, stored, routed, holds, sent };
}

describe('the answer to a transaction', () => {
  it('of only the bridge’s own events waits for the sends still going (the homeserver gathers what they make)', async () => {
    const { h, stored, holds, sent } = handlers();
    let answered = false;
    const answer = h
      .onTransaction('1', { events: [event(BOT, 1)], ephemeral: [], toDevice: [] }, 0)
      .then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(answered).toBe(false);
    expect(holds).toEqual([OWN_ONLY_HOLD_MS]);
    sent();
    await answer;
    expect(stored).toEqual([]);
  });

  it('with a user’s event is not held up: it is stored and answered', async () => {
    const { h, stored, holds } = handlers();
    await h.onTransaction(
      '2',
      { events: [event(BOT, 1), event('@alice:hs', 2)], ephemeral: [], toDevice: [] },
      0,
    );
    expect(holds).toEqual([]);
    expect(stored).toEqual(['$e2']);
  });
});

describe('a transaction’s events', () => {
  it('go to the bridges once committed, while the answer still waits for the flush to disk', async () => {
    let flushed!: () => void;
    const flush = new Promise<void>((resolve) => (flushed = resolve));
    const { h, routed } = handlers(async (txnId, rows, stored) => {
      const result = {
        repeat: false,
        txnIdReset: false,
        added: rows.map((r, i) => ({ ...r, seq: i, txnId })),
      };
      stored?.(result); // committed: survives a crash of the process
      await flush; // the log synced: survives a crash of the machine
      return result;
    });
    let answered = false;
    const answer = h
      .onTransaction('1', { events: [event('@alice:hs', 1)], ephemeral: [], toDevice: [] }, 0)
      .then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(routed).toEqual(['$e1']);
    expect(answered).toBe(false);
    flushed();
    await answer;
  });
});
