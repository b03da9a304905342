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

/** The handlers with a delivery whose sends finish when `sent()` is called. */
function handlers() {
  const holds: number[] = [];
  let sent!: () => void;
  const allSentNow = new Promise<void>((resolve) => (sent = resolve));
  const stored: string[] = [];
  const h = appserviceHandlers({
    store: {
      inbox: {
        addTransaction: async (_txnId: string, rows: { eventId: string }[]) => {
          stored.push(...rows.map((r) => r.eventId));
          return { repeat: false, txnIdReset: false, added: [] };
        },
      },
    },
    router: { enqueue: () => undefined, enqueueEphemeral: () => undefined },
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
  } as unknown as Parameters<typeof appserviceHandlers>[0]);
  return { h, holds, sent, stored };
}

describe('a transaction of only the bridge’s own events', () => {
  it('is answered once the sends still going are done (at most the hold), not at once', async () => {
    const { h, holds, sent } = handlers();
    let answered = false;
    const answer = h
      .onTransaction('1', { events: [event(BOT, 1)], ephemeral: [], toDevice: [] }, 0)
      .then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(answered).toBe(false);
    expect(holds).toEqual([OWN_ONLY_HOLD_MS]);
    sent();
    await answer;
  });

  it('does not hold up a transaction with a user’s event, which is stored', async () => {
    const { h, holds, stored } = handlers();
    await h.onTransaction(
      '2',
      { events: [event(BOT, 1), event('@alice:hs', 2)], ephemeral: [], toDevice: [] },
      0,
    );
    expect(holds).toEqual([]);
    expect(stored).toEqual(['$e2']);
  });
});
