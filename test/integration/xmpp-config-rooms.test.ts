// MUCs listed in the config (`bridges.xmpp.rooms`), against real Prosody and Synapse: a
// password-protected MUC mapped to a room a Matrix user made (and invited the bot to) is linked
// at start, the Matrix user in that room joins the MUC at once (with the room's password, the
// bot does not), and messages go both ways; a
// wrong password is told in the Matrix room (and nothing reaches the MUC); a MUC listed by its
// address alone gets its portal at start, the very room its alias gives later. After a restart,
// the Matrix user's occupant (kicked while the bridge was down) joins the MUC again, with the
// password.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { joinAlias, roomEvents, sendText } from '../support/bridge-harness.js';
import { requireSynapse, waitFor, type TestUser } from '../support/synapse.js';
import { kick, passwordProtected } from '../support/xmpp-muc-owner.js';
import {
  matrixUser,
  mucAlias,
  mucOf,
  roomForLink,
  said,
  xmppScope,
} from '../support/xmpp-scope.js';
import { ghostOf, groupchat, inRoom, type XmppUser } from '../support/xmpp-user.js';

const PASSWORD = 'open sesame <&>';

describe('XMPP: MUCs listed in the config, with room passwords (Prosody + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const locked = mucOf(`locked${suffix}`);
  const wrong = mucOf(`wrong${suffix}`);
  const plain = mucOf(`plain${suffix}`);
  const database = join(mkdtempSync(join(tmpdir(), 'sb-config-rooms-')), 'switchboard.db');
  let connector = new XmppConnector();
  const scope = xmppScope();
  let bridge: Switchboard;
  const start = async () => {
    bridge = await scope.bridge(
      connector,
      {
        rooms: [
          { muc: locked, room: lockedRoom, password: PASSWORD },
          { muc: wrong, room: wrongRoom, password: 'not the right one' },
          plain,
        ],
      },
      { database },
    );
  };
  let carol: XmppUser;
  let alice: TestUser;
  let lockedRoom: string;
  let wrongRoom: string;

  beforeAll(async () => {
    requireSynapse();
    carol = await scope.user('carol', 'config-rooms');
    await passwordProtected(carol, locked, PASSWORD);
    await passwordProtected(carol, wrong, 'the right one');
    alice = await matrixUser('alice', 'Alice');
    lockedRoom = await roomForLink(alice, 'Locked MUC');
    wrongRoom = await roomForLink(alice, 'Wrong password');
    await start();
  });

  it('a password-protected MUC mapped to an existing room: linked at start, its Matrix users in it, both ways', async () => {
    expect(await connector.roomOf(XmppConnector.mucPortal(locked))).toBe(lockedRoom);
    // Alice was in the room before the link: her occupant joins at start, before she says a word,
    // so the MUC is heard at once.
    await carol.expect((el) => inRoom(el, `${locked}/Alice`), 'Alice in the MUC');
    await carol.send(groupchat(locked, 'hello Matrix'));
    await said(alice, lockedRoom, ghostOf(`${locked}/Carol`), 'hello Matrix');
    await sendText(alice, lockedRoom, 'hello locked room');
    await waitFor(
      () => carol.bodiesFrom(`${locked}/Alice`).includes('hello locked room'),
      20_000,
      'alice on XMPP',
    );
    // The bridge bot is no occupant: only the room's people are.
    const nicks = new Set(
      carol.heard
        .filter((el) => el.name === 'presence' && el.attrs.from?.startsWith(`${locked}/`))
        .map((el) => el.attrs.from!.slice(locked.length + 1)),
    );
    expect([...nicks].sort()).toEqual(['Alice', 'Carol']);
  });

  it('a wrong password: a notice in the Matrix room, and nothing reaches the MUC', async () => {
    await sendText(alice, wrongRoom, 'can you hear me?');
    const notice = await waitFor(
      async () =>
        (await roomEvents(alice, wrongRoom)).find(
          (e) => e.content.msgtype === 'm.notice' && e.sender === ghostOf(wrong),
        ),
      20_000,
      'the notice about the password',
    );
    expect(String(notice.content.body)).toContain(`The XMPP room ${wrong} is password-protected`);
    expect(String(notice.content.body)).toContain('wrong');
    expect(String(notice.content.body)).not.toContain('not the right one');
    expect(carol.bodiesFrom(wrong)).toEqual([]);
  });

  it('a MUC listed by its address: its portal is made at start, and its alias finds that room', async () => {
    const roomId = await connector.roomOf(XmppConnector.mucPortal(plain));
    expect(roomId).toBeDefined();
    expect(await joinAlias(alice, mucAlias(plain))).toBe(roomId);
  });

  it("after a restart, the Matrix user's occupant joins again with the password", async () => {
    await bridge.stop();
    // Out of the room while the bridge is away (a component's occupants outlive its connection,
    // and a presence to a room one is in needs no password): the restart is a new join.
    await kick(carol, locked, 'Alice');
    const mark = carol.heard.length;
    connector = new XmppConnector();
    await start();
    await carol.expect(
      (el) => carol.heard.indexOf(el) >= mark && inRoom(el, `${locked}/Alice`),
      'Alice back in the MUC',
    );
    await carol.send(groupchat(locked, 'after the restart'));
    await said(alice, lockedRoom, ghostOf(`${locked}/Carol`), 'after the restart');
  });
});
