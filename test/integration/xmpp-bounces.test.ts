// What Matrix refuses for good is told to the XMPP user who sent it, against real Prosody and
// Synapse: the bridge bot (the rooms' creator) lets no one below 100 send messages in a direct
// chat's room and in a MUC portal's room; the XMPP user's next message there bounces back to them
// as a `<message type="error">` with its id, `forbidden`, and the homeserver's reason, and it is
// not in Matrix. (Gateway rooms and moderation: xmpp-gateway-moderation.test.ts.)
import { type Element } from '@xmpp/xml';
import { beforeAll, describe, expect, it } from 'vitest';
import { roomEvents } from '../support/bridge-harness.js';
import { setEventLevel } from '../support/room-levels.js';
import {
  dmParties,
  joinDmRoom,
  restartablePortal,
  said,
  xmppScope,
} from '../support/xmpp-scope.js';
import { chat, ghostOf, groupchat, joinMuc, type XmppUser } from '../support/xmpp-user.js';

const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** The error bounce of the message `id` that `user` sent; checks it says why. */
async function bounceOf(user: XmppUser, id: string): Promise<Element> {
  const bounced = await user.expect(
    (el) => el.name === 'message' && el.attrs.type === 'error' && el.attrs.id === id,
    `the bounce of ${id}`,
  );
  const error = bounced.getChild('error')!;
  expect(error.attrs.type).toBe('auth');
  expect(error.getChild('forbidden', STANZAS), 'forbidden').toBeDefined();
  expect(error.getChildText('text', STANZAS)).toMatch(/Not delivered to Matrix.*M_FORBIDDEN/);
  return bounced;
}

describe('XMPP: a direct-chat message Matrix refuses bounces to its sender', () => {
  const dm = dmParties('bounce', 'https://files.example.org');

  it('bounces as an error from the Matrix user’s address, with its id; the next one arrives', async () => {
    const { alice, matt, mattJid, connector } = dm;
    await alice.send(chat(alice.jid, mattJid, 'first, allowed', 'ok1'));
    const roomId = await joinDmRoom(connector, 'alice@localhost', matt);
    await said(matt, roomId, ghostOf('alice@localhost'), 'first, allowed');
    await setEventLevel(roomId, 'm.room.message', 100);
    await alice.send(chat(alice.jid, mattJid, 'second, refused', 'no2'));
    const bounced = await bounceOf(alice, 'no2');
    expect(bounced.attrs.from).toBe(mattJid);
    await setEventLevel(roomId, 'm.room.message', undefined);
    await alice.send(chat(alice.jid, mattJid, 'third, allowed', 'ok3'));
    await said(matt, roomId, ghostOf('alice@localhost'), 'third, allowed');
    const bodies = (await roomEvents(matt, roomId)).map((e) => e.content.body);
    expect(bodies).not.toContain('second, refused');
    expect(alice.heard.filter((el) => el.attrs.type === 'error')).toHaveLength(1);
  });
});

describe('XMPP: a MUC message Matrix refuses bounces to its sender through the room', () => {
  const portal = restartablePortal('bounce');
  const scope = xmppScope();
  let dave: XmppUser; // a participant (Carol, who made the room, is its owner: level 100)

  beforeAll(async () => {
    dave = await scope.user('dave', 'bounce');
    await joinMuc(dave, portal.room, 'Dave');
  });

  it('bounces as an error with its id; the next one arrives', async () => {
    const { matt, roomId, room } = portal;
    const daveGhost = ghostOf(`${room}/Dave`);
    await dave.send(groupchat(room, 'first, allowed', 'm1'));
    await said(matt, roomId, daveGhost, 'first, allowed');
    await setEventLevel(roomId, 'm.room.message', 100);
    await dave.send(groupchat(room, 'second, refused', 'm2'));
    await bounceOf(dave, 'm2');
    await setEventLevel(roomId, 'm.room.message', undefined);
    await dave.send(groupchat(room, 'third, allowed', 'm3'));
    await said(matt, roomId, daveGhost, 'third, allowed');
    const bodies = (await roomEvents(matt, roomId)).map((e) => e.content.body);
    expect(bodies).not.toContain('second, refused');
  });
});
