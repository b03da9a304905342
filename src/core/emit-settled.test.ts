// A bridge hears what became of an event it emitted with a `ref`: delivered (with its Matrix event
// id) or given up after the homeserver refused it, in the room's order, after a restart too.
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import {
  portalKey,
  remoteMessageId,
  remoteUserId,
  type EmitOutcome,
  type RemoteEvent,
} from '../connector.js';
import { MatrixError } from '../matrix/errors.js';
import type { OutboxEntry } from '../store/store.js';
import type { BridgeRuntime } from './bridge-runtime.js';
import { InboundTasks } from './inbound-task.js';
import { KeyedQueue } from './keyed-queue.js';
import { RemoteDelivery, type RemoteDeliveryDeps } from './remote-delivery.js';

const message = (n: number): RemoteEvent => ({
  kind: 'message',
  portal: portalKey('net/#room'),
  sender: remoteUserId('net/bob'),
  id: remoteMessageId(`m${n}`),
  content: { kind: 'text', text: `line ${n}` },
});

/** An outbox in memory that outlives the deliveries made on it (as the database outlives a restart). */
class MemoryOutbox {
  rows: OutboxEntry[] = [];
  private next = 1;
  async add(entry: { bridge: string; roomId: string; json: string; ref?: string }) {
    const row: OutboxEntry = { ...entry, id: this.next++, attempts: 0 };
    this.rows.push(row);
    return row;
  }
  async pending() {
    return [...this.rows];
  }
  async complete(id: number) {
    this.rows = this.rows.filter((r) => r.id !== id);
  }
  async recordAttempt(id: number) {
    const row = this.rows.find((r) => r.id === id);
    if (row) row.attempts++;
  }
}

/** What the homeserver answers each send: an event id, or a thrown refusal. */
type Answer = (n: number) => string | Error;

function setup(outbox: MemoryOutbox, answer: Answer, journal: string[] = []) {
  const settled: [string, EmitOutcome][] = [];
  const connector = {
    id: 'net',
    emitSettled: (ref: string, outcome: EmitOutcome) => {
      journal.push(`settled ${ref}`);
      settled.push([ref, outcome]);
    },
  };
  const runtime = { id: 'net', connector } as unknown as BridgeRuntime;
  const queue = new KeyedQueue(4, () => undefined);
  const intent = {
    userId: '@net_bob:x',
    sendEvent: async (_room: string, _type: string, content: { body: string }) => {
      const n = Number(content.body.replace('line ', ''));
      const result = answer(n);
      if (result instanceof Error) throw result;
      journal.push(`sent ${n}`);
      return result;
    },
  };
  const deps = {
    portals: { get: async () => ({ roomId: '!room:x' }) },
    store: { outbox, messages: { byRemote: async () => undefined } },
    ghosts: { intentFor: async () => intent },
    queue,
    metrics: {
      outboxPending: { inc: () => undefined, dec: () => undefined },
      events: { inc: () => undefined },
      sendLatency: { observe: () => undefined },
      failures: { inc: () => undefined },
    },
    inbound: new InboundTasks(),
    inFlight: { begin: () => () => undefined },
    runtimes: new Map([['net', runtime]]),
    log: pino({ level: 'silent' }),
    instanceId: 'test',
    backoffBaseMs: 1,
  };
  const delivery = new RemoteDelivery(deps as unknown as RemoteDeliveryDeps);
  return { delivery, runtime, settled, queue };
}

const forbidden = () => new MatrixError(403, 'M_FORBIDDEN', 'You may not send here');

describe('emitSettled', () => {
  it('tells the bridge each named event was delivered, with its event id, after its send and in order', async () => {
    const outbox = new MemoryOutbox();
    const journal: string[] = [];
    const { delivery, runtime, settled, queue } = setup(outbox, (n) => `$e${n}`, journal);
    for (const n of [1, 2, 3])
      await delivery.emit(runtime, message(n), n === 2 ? {} : { ref: `r${n}` });
    await queue.idle();
    expect(settled).toEqual([
      ['r1', { delivered: true, eventId: '$e1' }],
      ['r3', { delivered: true, eventId: '$e3' }],
    ]);
    expect(journal).toEqual(['sent 1', 'settled r1', 'sent 2', 'sent 3', 'settled r3']);
  });

  it('tells the bridge an event the homeserver refuses for good was given up, with its errcode', async () => {
    const outbox = new MemoryOutbox();
    const { delivery, runtime, settled, queue } = setup(outbox, (n) =>
      n === 1 ? forbidden() : `$e${n}`,
    );
    await delivery.emit(runtime, message(1), { ref: 'refused' });
    await delivery.emit(runtime, message(2), { ref: 'after' });
    await queue.idle();
    expect(settled).toEqual([
      [
        'refused',
        {
          delivered: false,
          errcode: 'M_FORBIDDEN',
          reason: 'the Matrix room does not let you send that (M_FORBIDDEN)',
        },
      ],
      ['after', { delivered: true, eventId: '$e2' }],
    ]);
    expect(outbox.rows).toEqual([]);
  });

  it('gives up at once on a refusal no retry changes (M_FORBIDDEN), and tries another (400) a few times', async () => {
    const tries = new Map<number, number>();
    const { delivery, runtime, settled, queue } = setup(new MemoryOutbox(), (n) => {
      tries.set(n, (tries.get(n) ?? 0) + 1);
      return n === 1 ? forbidden() : new MatrixError(400, 'M_UNKNOWN', 'Bad request');
    });
    await delivery.emit(runtime, message(1), { ref: 'forbidden' });
    await delivery.emit(runtime, message(2), { ref: 'bad' });
    await queue.idle();
    expect([tries.get(1), tries.get(2)]).toEqual([1, 5]);
    expect(settled.map(([ref, o]) => [ref, o.delivered])).toEqual([
      ['forbidden', false],
      ['bad', false],
    ]);
  });

  it('reports the outcome after a restart between the emit and the delivery, to the new bridge', async () => {
    const outbox = new MemoryOutbox();
    const down = () => new MatrixError(502, 'M_UNKNOWN', 'Bad Gateway');
    const before = setup(outbox, down);
    await before.delivery.emit(before.runtime, message(1), { ref: 'kept' });
    await new Promise((r) => setTimeout(r, 20)); // a few failed attempts
    before.delivery.stop();
    await before.queue.idle();
    expect(before.settled).toEqual([]);
    expect(outbox.rows.map((r) => r.ref)).toEqual(['kept']);

    const after = setup(outbox, (n) => `$e${n}`);
    expect(await after.delivery.resume()).toBe(1);
    await after.queue.idle();
    expect(after.settled).toEqual([['kept', { delivered: true, eventId: '$e1' }]]);
  });

  it('goes on delivering when the bridge hook throws', async () => {
    const outbox = new MemoryOutbox();
    const { delivery, runtime, queue } = setup(outbox, (n) => `$e${n}`);
    const sent: number[] = [];
    (runtime.connector as { emitSettled: unknown }).emitSettled = (ref: string) => {
      sent.push(Number(ref));
      throw new Error('bridge bug');
    };
    await delivery.emit(runtime, message(1), { ref: '1' });
    await delivery.emit(runtime, message(2), { ref: '2' });
    await queue.idle();
    expect(sent).toEqual([1, 2]);
  });
});
