import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStore, sqlitePath } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { dialects, type Location } from './dialects.js';

/** Writes one row in every table. */
async function fill(store: Store): Promise<void> {
  await store.inbox.addTransaction('1', [{ eventId: '$1', roomId: '!r:hs', json: '{}' }]);
  await store.outbox.add({ bridge: 'irc', roomId: '!r:hs', json: '{"out":1}' });
  await store.portals.upsert({
    bridge: 'irc',
    portalKey: '#rust',
    roomId: '!r:hs',
    metadata: '{}',
  });
  await store.ghosts.upsert({
    userId: '@irc_a:hs',
    bridge: 'irc',
    remoteId: 'a',
    displayName: 'A',
    avatarUrl: null,
    registered: true,
  });
  await store.messages.add({
    bridge: 'irc',
    portalKey: '#rust',
    remoteId: 'm',
    roomId: '!r:hs',
    eventId: '$m',
  });
  await store.kv.set('core', 'k', 'v');
}

for (const dialect of dialects) {
  describe(`reopening a store [${dialect.name}]`, () => {
    let location: Location | undefined;
    const open: Store[] = [];
    beforeAll(() => dialect.ready());
    afterEach(async () => {
      for (const store of open.splice(0)) await store.close();
      await location?.drop();
    });

    it('keeps every table’s data, and running the migrations again is harmless', async () => {
      location = await dialect.fresh();
      const logs: string[] = [];
      const first = await openStore(location.url, { log: (m) => logs.push(m) });
      open.push(first);
      expect(first.dialect).toBe(dialect.name);
      expect(logs).toContain('store: applied migration 001-initial');
      await fill(first);
      await first.close();
      open.pop();

      logs.length = 0;
      const second = await openStore(location.url, { log: (m) => logs.push(m) });
      open.push(second);
      expect(logs.some((m) => m.includes('applied migration'))).toBe(false);
      expect((await second.inbox.pending()).map((e) => e.eventId)).toEqual(['$1']);
      expect(
        (await second.inbox.addTransaction('1', [{ eventId: '$1', roomId: '!r:hs', json: '{}' }]))
          .repeat,
      ).toBe(true);
      expect((await second.outbox.pending()).map((e) => e.json)).toEqual(['{"out":1}']);
      expect((await second.portals.get('irc', '#rust'))?.roomId).toBe('!r:hs');
      expect((await second.ghosts.get('@irc_a:hs'))?.registered).toBe(true);
      expect((await second.messages.byEvent('irc', '$m'))?.remoteId).toBe('m');
      expect(await second.kv.get('core', 'k')).toBe('v');
      // Ids keep growing after a restart.
      const next = await second.inbox.addTransaction('2', [
        { eventId: '$2', roomId: '!r:hs', json: '{}' },
      ]);
      expect(next.added[0]!.seq).toBeGreaterThan((await second.inbox.pending())[0]!.seq);
    });
  });
}

describe('SQLite store file', () => {
  it('accepts sqlite: URLs and plain paths', () => {
    expect(sqlitePath('sqlite:data/store.db')).toBe('data/store.db');
    expect(sqlitePath('sqlite:///var/lib/sb.db')).toBe('/var/lib/sb.db');
    expect(sqlitePath('/var/lib/sb.db')).toBe('/var/lib/sb.db');
    expect(sqlitePath(':memory:')).toBe(':memory:');
  });

  it('is in WAL mode, creates missing directories, and works in memory', async () => {
    const location = await dialects[0]!.fresh();
    const file = join(location.url, '..', 'nested', 'dir', 'store.db');
    try {
      const store = await openStore(`sqlite:${file}`);
      await store.kv.set('core', 'k', 'v');
      await store.close();
      const raw = new SqliteDatabase(file, { readonly: true });
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      raw.close();
    } finally {
      await location.drop();
    }
    const memory = await openStore(':memory:');
    await memory.kv.set('core', 'k', 'v');
    expect(await memory.kv.get('core', 'k')).toBe('v');
    await memory.close();
  });
});
