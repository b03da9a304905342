import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ClientEvent } from '../matrix/events.js';
import { appserviceHandlers } from './appservice-handlers.js';

const BOT = '@bot:hs';
const HOLD_MS = 60;
const event = (sender: string, n: number): ClientEvent =>
  ({
    event_id: `$e${n}`,
    room_id: '!room:hs',
    sender,
    type: 'm.room.message',
    origin_server_ts: n,
    content: { msgtype: 'm.text', body: `line ${n}` },
  }) as ClientEvent;

function handlers() {
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
    ownOnlyHoldMs: HOLD_MS,
  } as unknown as Parameters<typeof appserviceHandlers>[0]);
  return { h, stored };
}

const timed = async (work: Promise<unknown>) => {
  const started = performance.now();
  await work;
  return performance.now() - started;
};

describe('the answer to a transaction', () => {
  it('of only the bridge’s own events waits a moment (the homeserver gathers the next ones)', async () => {
    const { h, stored } = handlers();
    const ms = await timed(
      h.onTransaction('1', { events: [event(BOT, 1)], ephemeral: [], toDevice: [] }, 0),
    );
    expect(ms).toBeGreaterThanOrEqual(HOLD_MS - 5);
    expect(stored).toEqual([]);
  });

  it('with a user’s event is not held up: it is stored and answered', async () => {
    const { h, stored } = handlers();
    const ms = await timed(
      h.onTransaction(
        '2',
        { events: [event(BOT, 1), event('@alice:hs', 2)], ephemeral: [], toDevice: [] },
        0,
      ),
    );
    expect(ms).toBeLessThan(HOLD_MS / 2);
    expect(stored).toEqual(['$e2']);
  });
});
