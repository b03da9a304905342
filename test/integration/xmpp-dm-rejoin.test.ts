// A direct chat a Matrix user started with an XMPP user's ghost, and left, across a restart of the
// bridge, against real Prosody and Synapse: the contact's next message brings the Matrix user back
// to the same room (the ghost invites them: the bot is not in a room the Matrix user made), with
// the message in it; where the ghost may not invite (the room's `invite` level is above it), the
// chat moves to a new room, because the bridge kept in its store that they left.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, sendText } from '../support/bridge-harness.js';
import { requireSynapse, waitFor, type TestUser } from '../support/synapse.js';
import { joinWhenInvited, matrixUser, memberIn, said, xmppScope } from '../support/xmpp-scope.js';
import { chat, ghostOf, matrixJid, type XmppUser } from '../support/xmpp-user.js';

describe('XMPP: a direct chat the Matrix user started and left, across a restart (Prosody + Synapse)', () => {
  const scope = xmppScope();
  const connector = new XmppConnector();
  const database = join(mkdtempSync(join(tmpdir(), 'sb-dm-rejoin-')), 'switchboard.db');
  let bridge: Switchboard;
  let alice: XmppUser;
  let bob: XmppUser;
  let carol: XmppUser;
  let matt: TestUser;
  let mattJid: string;
  /** Matt's chat with Carol: what he says there reaches XMPP after what he did before. */
  let barrierRoom: string;
  let barriers = 0;

  /** Matt starts a direct chat with `contact`'s ghost (`createRoom` extras), who joins it. */
  async function startChat(contact: XmppUser, extra: Record<string, unknown> = {}) {
    const ghost = ghostOf(contact.jid.split('/')[0]!);
    const { room_id: room } = await asUser<{ room_id: string }>(
      matt,
      'POST',
      '/_matrix/client/v3/createRoom',
      { invite: [ghost], is_direct: true, preset: 'trusted_private_chat', ...extra },
    );
    await memberIn(matt, room, ghost, 'join', 'the ghost joined');
    await sendText(matt, room, 'hello there');
    await waitFor(
      () => contact.bodiesFrom(mattJid).includes('hello there'),
      20_000,
      'hello on XMPP',
    );
    return room;
  }

  /**
   * Matt leaves `room`; once a later message of his reached XMPP, the bridge has his leave (Synapse
   * sends an appservice its events in order), and it is stopped (it handles what it has first).
   */
  async function leaveAndStop(room: string) {
    await asUser(matt, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/leave`, {});
    const barrier = `barrier ${++barriers}`;
    await sendText(matt, barrierRoom, barrier);
    await waitFor(() => carol.bodiesFrom(mattJid).includes(barrier), 20_000, barrier);
    await bridge.stop();
  }

  beforeAll(async () => {
    requireSynapse();
    [alice, bob, carol] = await Promise.all([
      scope.user('alice', 'rejoin'),
      scope.user('bob', 'rejoin'),
      scope.user('carol', 'rejoin'),
    ]);
    bridge = await scope.bridge(connector, {}, { database });
    matt = await matrixUser('matt');
    mattJid = matrixJid(matt.userId);
    barrierRoom = await startChat(carol);
  });

  it('the contact writes after a restart: the ghost invites the Matrix user back to the same room', async () => {
    const bobGhost = ghostOf('bob@localhost');
    const room = await startChat(bob);
    await leaveAndStop(room);
    bridge = await scope.bridge(connector, {}, { database });
    await bob.send(chat(bob.jid, mattJid, 'are you there?'));
    await bob.send(chat(bob.jid, mattJid, 'hello?'));
    await joinWhenInvited(matt, room);
    const invite = await memberIn(matt, room, matt.userId, 'invite', "Matt's invite");
    expect(invite.sender).toBe(bobGhost);
    await said(matt, room, bobGhost, 'are you there?');
    await said(matt, room, bobGhost, 'hello?');
    expect(await connector.roomOf(XmppConnector.dmPortal('bob@localhost', matt.userId))).toBe(room);
    await sendText(matt, room, 'back again');
    await waitFor(() => bob.bodiesFrom(mattJid).includes('back again'), 20_000, 'on XMPP');
  });

  it('where the ghost may not invite, the chat moves to a new room: the leave was kept', async () => {
    const aliceGhost = ghostOf('alice@localhost');
    const portal = XmppConnector.dmPortal('alice@localhost', matt.userId);
    // Only Matt (100) may invite: the ghost has the default level, 0.
    const room = await startChat(alice, {
      preset: 'private_chat',
      power_level_content_override: { invite: 50 },
    });
    await leaveAndStop(room);
    bridge = await scope.bridge(connector, {}, { database });
    await alice.send(chat(alice.jid, mattJid, 'anyone?'));
    const moved = await waitFor(
      async () => {
        const now = await connector.roomOf(portal);
        return now && now !== room ? now : undefined;
      },
      20_000,
      'a new room for the chat',
    );
    await joinWhenInvited(matt, moved);
    await said(matt, moved, aliceGhost, 'anyone?');
  });
});
