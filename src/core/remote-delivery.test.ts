import { describe, expect, it } from 'vitest';
import { portalKey, remoteMessageId, remoteUserId, type RemoteEvent } from '../connector.js';
import type { OutboxEntry } from '../store/store.js';
import type { BridgeRuntime } from './bridge-runtime.js';
import { InboundTasks } from './inbound-task.js';
import { RemoteDelivery, type RemoteDeliveryDeps } from './remote-delivery.js';

const message = (n: number): RemoteEvent => ({
  kind: 'message',
  portal: portalKey('net/#room'),
  sender: remoteUserId('net/bob'),
  id: remoteMessageId(`m${n}`),
  content: { kind: 'text', text: `line ${n}` },
});

const runtime = { id: 'net' } as BridgeRuntime;

describe('RemoteDelivery.emit', () => {
  it('keeps the order of emits that were not awaited one by one, even when a portal lookup is slow', async () => {
    const written: string[] = [];
    let lookups = 0;
    const deps = {
      // The first lookup misses the cache and is slow; the later ones answer at once.
      portals: {
        get: async () => {
          if (lookups++ === 0) await new Promise((r) => setTimeout(r, 20));
          return { roomId: '!room:x' };
        },
      },
      store: {
        outbox: {
          add: async (entry: { json: string }): Promise<OutboxEntry> => {
            const text = (JSON.parse(entry.json) as { content: { text: string } }).content.text;
            written.push(text);
            await new Promise((r) => setTimeout(r, Math.random() * 5));
            return {
              id: written.length,
              bridge: 'net',
              roomId: '!room:x',
              json: entry.json,
              attempts: 0,
            };
          },
        },
      },
      queue: { push: (_key: string, _task: unknown) => undefined },
      metrics: { outboxPending: { inc: () => undefined, dec: () => undefined } },
      inbound: new InboundTasks(),
    };
    const delivery = new RemoteDelivery(deps as unknown as RemoteDeliveryDeps);
    await Promise.all(Array.from({ length: 50 }, (_, n) => delivery.emit(runtime, message(n))));
    expect(written).toEqual(Array.from({ length: 50 }, (_, n) => `line ${n}`));
  });

  it('rejects an emit for a portal with no room without holding up the next one', async () => {
    let calls = 0;
    const { delivery } = oneEntryDelivery(new InboundTasks(), undefined, {
      get: async () => (calls++ === 0 ? undefined : { roomId: '!room:x' }),
    });
    const first = delivery.emit(runtime, message(1));
    const second = delivery.emit(runtime, message(2));
    await expect(first).rejects.toThrow(/no portal/);
    await expect(second).resolves.toBeUndefined();
  });

  it('sends an event emitted while its room handles a Matrix event only after that handling', async () => {
    const order: string[] = [];
    const inbound = new InboundTasks();
    const { tasks, delivery } = oneEntryDelivery(inbound, () => order.push('delivered'));
    let scheduled!: Promise<void>;
    await inbound.run('!room:x', async () => {
      await delivery.emit(runtime, message(1));
      scheduled = tasks[0]!();
      await new Promise((r) => setTimeout(r, 20));
      order.push('handled');
    });
    await scheduled;
    expect(order).toEqual(['handled', 'delivered']);
  });
});

describe('RemoteDelivery.allSent', () => {
  const setup = () => oneEntryDelivery(new InboundTasks());

  it('resolves at once when nothing waits to be sent, and once the last send is done', async () => {
    const { tasks, delivery } = setup();
    await delivery.allSent(60_000);
    await delivery.emit(runtime, message(1));
    let resolved = false;
    const waiting = delivery.allSent(60_000).then(() => (resolved = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(resolved).toBe(false);
    await tasks[0]!();
    await waiting;
  });

  it('resolves after its time when a send is still going', async () => {
    const { delivery } = setup();
    await delivery.emit(runtime, message(1)); // scheduled, never run
    const started = performance.now();
    await delivery.allSent(40);
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
  });
});

/**
 * A delivery whose outbox holds one entry and whose room queue only collects its tasks (`tasks`,
 * run by the test); `portals` finds the room ('!room:x' by default). No runtime is enabled: delivering only logs (`onDeliver`), and counts as done.
 */
function oneEntryDelivery(
  inbound: InboundTasks,
  onDeliver: () => void = () => undefined,
  portals: { get(): Promise<{ roomId: string } | undefined> } = {
    get: async () => ({ roomId: '!room:x' }),
  },
) {
  const tasks: (() => Promise<void>)[] = [];
  const deps = {
    portals,
    store: {
      outbox: {
        add: async (): Promise<OutboxEntry> => ({
          id: 1,
          bridge: 'net',
          roomId: '!room:x',
          json: JSON.stringify(message(1)),
          attempts: 0,
        }),
      },
    },
    queue: { push: (_key: string, task: () => Promise<void>) => tasks.push(task) },
    metrics: { outboxPending: { inc: () => undefined, dec: () => undefined } },
    inbound,
    runtimes: new Map(),
    log: { warn: onDeliver },
  };
  return { tasks, delivery: new RemoteDelivery(deps as unknown as RemoteDeliveryDeps) };
}
