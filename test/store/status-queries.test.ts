// The status page's queries on both dialects: portals searched and paged in SQL with each room's
// last success and failure, recent failures, failures by reason, the backlog and the size.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { expect, it, vi } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { describeStore } from './dialects.js';

const event = (id: string, room: string) => ({ eventId: id, roomId: room, json: '{}' });

describeStore('status queries', (store) => {
  it('pages portals in order, searches room, chat and bridge (wildcards literal), with last outcomes', async () => {
    for (let i = 0; i < 7; i++)
      await store().portals.upsert({
        bridge: i < 5 ? 'irc' : 'echo',
        portalKey: `#chan_${i}`,
        roomId: `!room${i}:hs`,
        metadata: '{}',
      });
    await store().portals.upsert({
      bridge: 'irc',
      portalKey: '#100%',
      roomId: '!pct:hs',
      metadata: '{}',
    });
    await store().inbox.addTransaction('t1', [event('$a', '!room1:hs'), event('$b', '!room1:hs')]);
    const now = vi.spyOn(Date, 'now').mockReturnValue(5_000);
    await store().inbox.finish([{ eventId: '$a', state: 'done', bridge: 'irc' }]);
    now.mockReturnValue(6_000);
    await store().inbox.finish([{ eventId: '$b', state: 'failed', bridge: 'irc', reason: 'down' }]);
    now.mockRestore();

    const first = await store().status.portalsPage({ offset: 0, limit: 3 });
    expect(first.total).toBe(8);
    expect(first.rows.map((r) => `${r.bridge} ${r.portalKey}`)).toEqual([
      'echo #chan_5',
      'echo #chan_6',
      'irc #100%',
    ]);
    const third = await store().status.portalsPage({ offset: 6, limit: 3 });
    expect(third.rows.map((r) => r.portalKey)).toEqual(['#chan_3', '#chan_4']);

    const room1 = await store().status.portalsPage({ search: 'ROOM1', offset: 0, limit: 10 });
    expect(room1.total).toBe(1);
    expect(room1.rows[0]).toMatchObject({
      roomId: '!room1:hs',
      lastSuccess: 5_000,
      lastFailure: 6_000,
    });
    expect(
      (await store().status.portalsPage({ search: '%', offset: 0, limit: 10 })).rows.map(
        (r) => r.portalKey,
      ),
    ).toEqual(['#100%']);
    expect(
      (await store().status.portalsPage({ search: 'chan_', offset: 0, limit: 10 })).total,
    ).toBe(7);
    expect(
      (await store().status.portalsPage({ search: 'chan1', offset: 0, limit: 10 })).total,
    ).toBe(0);
    expect((await store().status.portalsPage({ bridge: 'echo', offset: 0, limit: 10 })).total).toBe(
      2,
    );
  });

  it('lists failures newest first, groups them by reason, counts the backlog', async () => {
    await store().inbox.addTransaction(
      't1',
      ['$1', '$2', '$3', '$4'].map((id) => event(id, '!r:hs')),
    );
    const now = vi.spyOn(Date, 'now');
    now.mockReturnValue(1_000);
    await store().inbox.finish([
      { eventId: '$1', state: 'failed', bridge: 'echo', reason: 'refused' },
    ]);
    now.mockReturnValue(2_000);
    await store().inbox.finish([
      { eventId: '$2', state: 'failed', bridge: 'echo', reason: 'refused' },
    ]);
    now.mockReturnValue(3_000);
    await store().inbox.finish([
      { eventId: '$3', state: 'failed', bridge: 'irc', reason: 'network down' },
    ]);
    now.mockRestore();
    await store().outbox.add({ bridge: 'irc', roomId: '!r:hs', json: '{}' });

    expect(
      (await store().status.recentFailures(2)).map((f) => [
        f.eventId,
        f.bridge,
        f.reason,
        f.finishedAt,
      ]),
    ).toEqual([
      ['$3', 'irc', 'network down', 3_000],
      ['$2', 'echo', 'refused', 2_000],
    ]);
    expect(await store().status.failureReasons(10)).toEqual([
      { bridge: 'echo', reason: 'refused', count: 2, last: 2_000 },
      { bridge: 'irc', reason: 'network down', count: 1, last: 3_000 },
    ]);
    expect(await store().status.backlog()).toEqual({ inbox: 1, outbox: 1 });
    expect(
      (await store().status.roomOutcomes('!r:hs', 10)).map((o) => [o.eventId, o.state]),
    ).toEqual([
      ['$4', 'pending'],
      ['$3', 'failed'],
      ['$2', 'failed'],
      ['$1', 'failed'],
    ]);
    expect(await store().status.sizeBytes()).toBeGreaterThan(0);
  });
});

it("a page of 10,000 portals with their rooms' outcomes stays fast (SQLite)", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-status-'));
  const file = join(dir, 'store.db');
  try {
    await (await openStore(file)).close();
    const db = new SqliteDatabase(file);
    const portal = db.prepare(
      "insert into portals (bridge, portal_key, room_id, metadata, created_at) values ('irc', ?, ?, '{}', 1)",
    );
    const inbox = db.prepare(
      "insert into inbox (event_id, room_id, txn_id, json, state, bridge, received_at, finished_at) values (?, ?, 't', '{}', ?, 'irc', 1, ?)",
    );
    db.transaction(() => {
      for (let i = 0; i < 10_000; i++) {
        portal.run(`#c${String(i).padStart(5, '0')}`, `!r${i}:hs`);
        for (let j = 0; j < 5; j++)
          inbox.run(`$e${i}_${j}`, `!r${i}:hs`, j ? 'done' : 'failed', i * 10 + j);
      }
    })();
    db.close();
    const store = await openStore(file);
    try {
      const started = performance.now();
      const last = await store.status.portalsPage({ offset: 9_950, limit: 50 });
      const searched = await store.status.portalsPage({ search: 'c0999', offset: 0, limit: 50 });
      const failures = await store.status.failureReasons(20);
      const elapsed = performance.now() - started;
      expect(last.total).toBe(10_000);
      expect(last.rows.at(-1)).toMatchObject({
        portalKey: '#c09999',
        lastSuccess: 99_994,
        lastFailure: 99_990,
      });
      expect(searched.total).toBe(10);
      expect(failures[0]?.count).toBe(10_000);
      expect(elapsed).toBeLessThan(500);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
