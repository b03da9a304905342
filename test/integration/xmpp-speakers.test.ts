// `bridges.xmpp.occupants: speakers`, against real Prosody and Synapse: a Matrix user who joins a
// MUC portal's room does not enter the MUC until they send something there; the bridge's own
// occupant (`reader_nick`) reads the room meanwhile, so what XMPP users say reaches Matrix with no
// Matrix user in the MUC, and it is there again after a restart, with those who spoke and no one
// else. A room of hundreds of silent Matrix members then costs the MUC nothing per message.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { xml } from '@xmpp/xml';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, joinAlias, roomEvents, sendText } from '../support/bridge-harness.js';
import { requireSynapse, waitFor, type TestUser } from '../support/synapse.js';
import { matrixUser, mucAlias, said, xmppScope } from '../support/xmpp-scope.js';
import {
  ghostOf,
  groupchat,
  inRoom,
  joinMuc,
  LOCKING_MUC_HOST,
  MUC_HOST,
  type XmppUser,
} from '../support/xmpp-user.js';

describe('XMPP MUCs with occupants: speakers (Prosody + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const room = `quiet${suffix}@${MUC_HOST}`;
  const reader = `Bridge ${suffix}`;
  const config = { occupants: 'speakers', reader_nick: reader };
  const database = join(mkdtempSync(join(tmpdir(), 'sb-xmpp-speakers-')), 'switchboard.db');
  const connector = new XmppConnector();
  const scope = xmppScope();
  const carolGhost = ghostOf(`${room}/Carol`);
  let carol: XmppUser;
  let matt: TestUser;
  let nina: TestUser;
  let roomId: string;
  const mattNick = `Matt ${suffix}`;
  const ninaNick = `Nina ${suffix}`;
  const start = () => scope.bridge(connector, config, { database });
  let bridge: Switchboard;
  /** Whether Carol was ever told of `nick` in the MUC (a presence from that occupant). */
  const seen = (nick: string) => carol.heard.some((el) => inRoom(el, `${room}/${nick}`));
  /** Whether the reader is in the MUC as Carol last heard (it may leave at a restart). */
  const readerIn = () => {
    const from = `${room}/${reader}`;
    const last = carol.heard
      .filter((el) => el.name === 'presence' && el.attrs.from === from)
      .at(-1);
    return !!last && inRoom(last, from);
  };

  beforeAll(async () => {
    requireSynapse();
    carol = await scope.user('carol', 'speakers');
    await joinMuc(carol, room, 'Carol');
    bridge = await start();
    matt = await matrixUser('matt', mattNick);
    nina = await matrixUser('nina', ninaNick);
  });

  it("a Matrix user who joins the room is not an occupant; the bridge's reader is", async () => {
    roomId = await joinAlias(matt, mucAlias(room));
    await joinAlias(nina, mucAlias(room));
    await carol.expect((el) => inRoom(el, `${room}/${reader}`), "the bridge's reader in the MUC");
    // Nina types: still no occupant of hers (typing is not speaking).
    await asUser(
      nina,
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(nina.userId)}`,
      { typing: true, timeout: 5_000 },
    );
    // Carol's line is bridged through the reader, with no Matrix user's occupant in the MUC.
    await carol.send(groupchat(room, 'anyone there?'));
    await said(matt, roomId, carolGhost, 'anyone there?');
    expect(seen(mattNick)).toBe(false);
    expect(seen(ninaNick)).toBe(false);
  });

  it('a Matrix user enters the MUC with their first message, which comes from their occupant', async () => {
    await sendText(matt, roomId, 'here I am');
    await carol.expect((el) => inRoom(el, `${room}/${mattNick}`), 'matt in the MUC');
    await carol.expect(
      () => carol.bodiesFrom(`${room}/${mattNick}`).includes('here I am'),
      'his message from his occupant',
    );
    expect(seen(ninaNick)).toBe(false);
  });

  it('a private message to the reader is answered: nobody reads it (the reader stays)', async () => {
    const pm = (body: string) =>
      carol.send(xml('message', { type: 'chat', to: `${room}/${reader}` }, xml('body', {}, body)));
    await pm('hello bridge');
    await pm('anyone?');
    await carol.expect(
      () =>
        carol.bodiesFrom(`${room}/${reader}`).some((b) => b.includes('nobody reads what you send')),
      "the reader's answer",
    );
    // Told once, and the reader still reads the room: Carol's next line reaches Matrix.
    await carol.send(groupchat(room, 'so the bridge is still here'));
    await said(matt, roomId, carolGhost, 'so the bridge is still here');
    expect(carol.bodiesFrom(`${room}/${reader}`)).toHaveLength(1);
    expect(readerIn(), 'the reader is still in the MUC').toBe(true);
  });

  it('after a restart the reader and those who spoke are back; the others are still out', async () => {
    await bridge.stop();
    bridge = await start();
    await waitFor(async () => readerIn(), 20_000, 'the reader in the MUC again');
    await carol.send(groupchat(room, 'still there?'));
    await said(matt, roomId, carolGhost, 'still there?');
    await sendText(matt, roomId, 'back again');
    await carol.expect(
      () => carol.bodiesFrom(`${room}/${mattNick}`).includes('back again'),
      "matt's message after the restart",
    );
    expect(seen(ninaNick)).toBe(false);
  });

  it('a MUC that refuses the reader (locked by its maker on XMPP) is told in the room: it is not read', async () => {
    // Carol's join makes a room on the service that keeps new rooms locked; she leaves it so.
    const locked = `unready${suffix}@${LOCKING_MUC_HOST}`;
    await joinMuc(carol, locked, 'Carol');
    const lockedRoom = await joinAlias(matt, mucAlias(locked));
    const told = `The bridge's own occupant, which reads this MUC: The XMPP room ${locked} is locked`;
    await waitFor(
      async () =>
        (await roomEvents(matt, lockedRoom)).some(
          (e) => e.content.msgtype === 'm.notice' && String(e.content.body).startsWith(told),
        ),
      20_000,
      'the notice that the reader was refused',
    );
  });
});
