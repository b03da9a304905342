/** The `inbox` scenario: the store's inbox alone, no HTTP, no bridge process. */
import { randomBytes } from 'node:crypto';
import { openStore } from '../../src/store/open-store.js';
import type { DbTarget } from './databases.js';
import { DOMAIN } from './identities.js';
import { percentile, round } from './stats.js';
import type { BenchOptions } from './options.js';

export interface InboxOnlyResult {
  db: 'sqlite' | 'postgres';
  transactions: number;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  commitMs: { p50: number; p99: number };
}

/**
 * The store's `inbox.addTransaction` called directly, in this process, one transaction at a time
 * (JSON encoding included, as the appservice handler does it): the ceiling the HTTP path and the
 * pipeline can only lower.
 */
export async function inboxOnlyRun(
  target: DbTarget,
  options: BenchOptions,
): Promise<InboxOnlyResult> {
  const { txns, size } = options;
  const database = await target.fresh();
  const store = await openStore(database.url);
  try {
    const tag = randomBytes(4).toString('hex');
    const batches = Array.from({ length: txns }, (_, t) =>
      Array.from({ length: size }, (_, k) => {
        const i = t * size + k;
        return {
          type: 'm.room.message',
          room_id: `!room${i % options.rooms}:${DOMAIN}`,
          sender: `@user${i % options.rooms}_0:${DOMAIN}`,
          event_id: `$${tag}${i}`,
          origin_server_ts: Date.now(),
          unsigned: { age: 0 },
          content: {
            msgtype: 'm.text',
            body: `bench message ${i}: the quick brown fox jumps over the lazy dog`,
          },
        };
      }),
    );
    const times: number[] = [];
    const started = performance.now();
    for (let t = 0; t < txns; t++) {
      const t0 = performance.now();
      const rows = batches[t]!.map((e) => ({
        eventId: e.event_id,
        roomId: e.room_id,
        json: JSON.stringify(e),
      }));
      await store.inbox.addTransaction(`${tag}.${t}`, rows);
      times.push(performance.now() - t0);
    }
    const seconds = (performance.now() - started) / 1000;
    times.sort((a, b) => a - b);
    return {
      db: target.kind,
      transactions: txns,
      events: txns * size,
      seconds: round(seconds, 3),
      eventsPerSecond: Math.round((txns * size) / seconds),
      commitMs: { p50: round(percentile(times, 50), 2), p99: round(percentile(times, 99), 2) },
    };
  } finally {
    await store.close();
    await database.cleanup();
  }
}
