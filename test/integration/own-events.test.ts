// Synapse pushes back every event the bridge's own ghosts send. Those need nothing in a room linked
// to one network (a bridge never hears its own ghosts), so they are dropped on arrival: counted on
// /metrics, never written to the inbox. (That they still reach another network linked to the same
// room is multi-bridge.test.ts.)
import SqliteDatabase from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { joinAlias, roomEvents, sendText, startBridge } from '../support/bridge-harness.js';
import { registerUser, uniqueLocalpart, waitFor, type TestUser } from '../support/synapse.js';

const ECHO_GHOST = '@echo_echo:localhost';

describe("the bridge's own events, pushed back by Synapse", () => {
  const database = join(mkdtempSync(join(tmpdir(), 'sb-own-')), 'switchboard.db');
  let bridge: Switchboard;
  let alice: TestUser;
  let roomId: string;

  beforeAll(async () => {
    bridge = await startBridge({ database });
    alice = await registerUser(uniqueLocalpart('own'));
    roomId = await joinAlias(alice, `#echo_${uniqueLocalpart('own').replace('_', '-')}:localhost`);
  });
  afterAll(() => bridge?.stop());

  const ownEvents = async () =>
    (await bridge.metrics.registry.getSingleMetric('switchboard_own_events_total')!.get()).values[0]
      ?.value ?? 0;

  it('are counted and dropped before the inbox; what alice said is stored as before', async () => {
    const before = await ownEvents();
    const said = [];
    for (const n of [1, 2, 3]) said.push(await sendText(alice, roomId, `said ${n}`));
    const echoes = await waitFor(
      async () => {
        const found = (await roomEvents(alice, roomId, 50)).filter(
          (e) => e.sender === ECHO_GHOST && String(e.content.body).startsWith('said '),
        );
        return found.length === 3 ? found : undefined;
      },
      20_000,
      'three echoes',
    );
    await waitFor(async () => (await ownEvents()) >= before + 3, 20_000, 'the echoes pushed back');

    const db = new SqliteDatabase(database, { readonly: true });
    try {
      const stored = (id: string) =>
        db.prepare('select count(*) as n from inbox where event_id = ?').get(id) as { n: number };
      for (const id of said) expect(stored(id).n, `alice's ${id}`).toBe(1);
      for (const echo of echoes) expect(stored(echo.event_id).n, `echo ${echo.event_id}`).toBe(0);
    } finally {
      db.close();
    }
  });
});
