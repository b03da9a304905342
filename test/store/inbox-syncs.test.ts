// How often the inbox syncs SQLite's log: a transaction's events are synced before the 200; the
// outcomes of delivered events ride the next synced write (or one within 50 ms) instead of a sync
// of their own, which at one event a transaction was a second sync per message. Failures are
// synced at once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { WalSync } from '../../src/store/wal-sync.js';

const event = (n: number) => [
  { eventId: `$${n}`, roomId: '!r:hs', json: JSON.stringify({ event_id: `$${n}` }) },
];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('inbox log syncs (SQLite)', () => {
  let dir: string;
  let store: Store;
  let syncs: ReturnType<typeof vi.spyOn>;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-inbox-syncs-'));
    store = await openStore(join(dir, 'store.db'));
    syncs = vi.spyOn(WalSync.prototype, 'sync');
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a delivered event's outcome rides the next transaction's sync", async () => {
    await store.inbox.addTransaction('1', event(1));
    const afterTxn = syncs.mock.calls.length;
    expect(afterTxn).toBeGreaterThan(0);
    await store.inbox.finish([{ eventId: '$1', state: 'done', bridge: 'irc' }]);
    expect(syncs.mock.calls.length).toBe(afterTxn); // committed, not synced on its own
    await store.inbox.addTransaction('2', event(2));
    expect(syncs.mock.calls.length).toBe(afterTxn + 1); // one sync carries both
    await sleep(150);
    expect(syncs.mock.calls.length).toBe(afterTxn + 1); // nothing left to sync
    expect((await store.inbox.pending()).map((e) => e.eventId)).toEqual(['$2']);
  });

  it('with no write after it, an empty synced commit carries it within 50 ms', async () => {
    await store.inbox.addTransaction('1', event(1));
    const afterTxn = syncs.mock.calls.length;
    await store.inbox.finish([{ eventId: '$1', state: 'done', bridge: 'irc' }]);
    await sleep(150);
    expect(syncs.mock.calls.length).toBe(afterTxn + 1);
  });

  it('a failure is synced at once', async () => {
    await store.inbox.addTransaction('1', event(1));
    const afterTxn = syncs.mock.calls.length;
    await store.inbox.finish([{ eventId: '$1', state: 'failed', bridge: 'irc', reason: 'no' }]);
    expect(syncs.mock.calls.length).toBe(afterTxn + 1);
  });
});
