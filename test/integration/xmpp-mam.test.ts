// MAM (XEP-0313) catch-up through the XMPP bridge, against real Prosody (mod_muc_mam) and
// Synapse: what a MUC said while the bridge was stopped is fetched from the room's archive after
// the restart and bridged in order, with the original timestamps, and what was bridged before is
// not bridged again.
import { describe, expect, it } from 'vitest';
import { roomEvents } from '../support/bridge-harness.js';
import { waitFor } from '../support/synapse.js';
import { restartablePortal } from '../support/xmpp-scope.js';
import { groupchat } from '../support/xmpp-user.js';

describe('MAM catch-up after a bridge restart (Prosody + Synapse)', () => {
  const portal = restartablePortal('mam');
  const { room, carolGhost } = portal;

  const carolSaid = async () =>
    (await roomEvents(portal.matt, portal.roomId))
      .filter((e) => e.sender === carolGhost && e.type === 'm.room.message')
      .map((e) => ({ body: e.content.body as string, ts: e.origin_server_ts }));

  it('what the MUC said while the bridge was down arrives in order, with its time, once', async () => {
    const { carol } = portal;
    await carol.send(groupchat(room, 'before the stop'));
    await waitFor(
      async () => (await carolSaid()).some((m) => m.body === 'before the stop'),
      20_000,
      'the first message',
    );
    await portal.stopBridge();
    const awayFrom = Date.now();
    for (const n of [1, 2, 3]) await carol.send(groupchat(room, `while away ${n}`));
    // The room has them (carol hears her own reflections) before the bridge comes back.
    await waitFor(() => carol.bodiesFrom(`${room}/Carol`).includes('while away 3'), 10_000, 'sent');
    await new Promise((r) => setTimeout(r, 1_500));
    const awayUntil = Date.now();
    await portal.startBridge();
    await waitFor(
      async () => (await carolSaid()).some((m) => m.body === 'while away 3'),
      30_000,
      'the caught-up messages',
    );
    const said = await carolSaid();
    expect(said.map((m) => m.body)).toEqual([
      'before the stop',
      'while away 1',
      'while away 2',
      'while away 3',
    ]);
    // The archive's time, not the time of the catch-up.
    for (const m of said.slice(1)) {
      expect(m.ts).toBeGreaterThanOrEqual(awayFrom - 1_000);
      expect(m.ts).toBeLessThan(awayUntil);
    }
    // And the room talks on.
    await carol.send(groupchat(room, 'after the catch-up'));
    await waitFor(
      async () => (await carolSaid()).some((m) => m.body === 'after the catch-up'),
      20_000,
      'live again',
    );
    expect((await carolSaid()).map((m) => m.body).slice(-1)).toEqual(['after the catch-up']);
  });
});
