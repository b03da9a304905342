// Addresses of the gateway, against real Prosody and Synapse: Prosody lowercases an address's
// localpart, so a room alias with capitals is entered as `#^room#server` (`^` before a capital);
// a room without an alias is entered by its room id (`!opaque#server`, capitals the same way);
// an invite-only room answers `registration-required` unless the user's ghost is invited (a
// Matrix user's invite of the ghost is a XEP-0249 invitation); the component lists each room by
// its canonical alias, else its room id.
import { randomBytes } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { gatewayRoomJid } from '../../bridges/xmpp/gateway/addresses.js';
import { asUser, sendText } from '../support/bridge-harness.js';
import { BOT } from '../support/management-room.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  type TestUser,
} from '../support/synapse.js';
import { memberIn, said, xmppScope } from '../support/xmpp-scope.js';
import { COMPONENT, ghostOf, groupchat, matrixJid, type XmppUser } from '../support/xmpp-user.js';

const MUC = 'http://jabber.org/protocol/muc';
const MUC_USER = 'http://jabber.org/protocol/muc#user';
const DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';

const selfPresence = (el: Element, occupant: string) =>
  el.name === 'presence' &&
  el.attrs.from === occupant &&
  el.attrs.type === undefined &&
  !!el
    .getChild('x', MUC_USER)
    ?.getChildren('status')
    .some((s) => s.attrs.code === '110');

const errorFrom = (el: Element, occupant: string) =>
  el.name === 'presence' && el.attrs.type === 'error' && el.attrs.from === occupant;

describe('XMPP gateway addresses: capitals, room ids, invite-only rooms (Prosody + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const scope = xmppScope();
  let owner: TestUser;
  let alice: XmppUser;
  let bob: XmppUser;

  const enter = (user: XmppUser, occupant: string) =>
    user.send(xml('presence', { to: occupant }, xml('x', { xmlns: MUC })));
  const createRoom = async (body: Record<string, unknown>) =>
    (await asUser<{ room_id: string }>(owner, 'POST', '/_matrix/client/v3/createRoom', body))
      .room_id;

  beforeAll(async () => {
    requireSynapse();
    owner = await registerUser(uniqueLocalpart('owner'), undefined, { displayname: 'Olga' });
    await scope.bridge(new XmppConnector());
    alice = await scope.user('alice', 'gwa');
    bob = await scope.user('bob', 'gwa');
  });

  it('an alias with capitals is entered with `^` before each capital', async () => {
    const local = `GwCaps${suffix}`;
    const roomId = await createRoom({ preset: 'public_chat', room_alias_name: local });
    const address = gatewayRoomJid(`#${local}:localhost`, COMPONENT);
    expect(address).toBe(`#^gw^caps${suffix}#localhost@${COMPONENT}`);
    await enter(alice, `${address}/Alice`);
    await alice.expect((el) => selfPresence(el, `${address}/Alice`), 'in the room');
    await alice.send(groupchat(address, 'capitals work', 'c1'));
    await said(owner, roomId, ghostOf('alice@localhost'), 'capitals work');
    await sendText(owner, roomId, 'hello capitals');
    await alice.expect(
      (el) => el.attrs.from === `${address}/Olga` && el.getChildText('body') === 'hello capitals',
      'the Matrix message',
    );
    // The plain form names the lowercase alias (Prosody lowercases it), which does not exist.
    const plain = `#${local}#localhost@${COMPONENT}`.toLowerCase();
    await enter(bob, `${plain}/Bob`);
    const missing = await bob.expect((el) => errorFrom(el, `${plain}/Bob`), 'item-not-found');
    expect(missing.getChild('error')?.getChild('item-not-found')).toBeDefined();
  });

  it('a room is entered by its room id; the component lists each room by its canonical alias, else its id', async () => {
    const roomId = await createRoom({ preset: 'public_chat', name: 'No alias' });
    const address = gatewayRoomJid(roomId, COMPONENT);
    expect(address.startsWith('!')).toBe(true);
    await enter(bob, `${address}/Bob`);
    await bob.expect((el) => selfPresence(el, `${address}/Bob`), 'in the room by id');
    await bob.send(groupchat(address, 'by room id', 'r1'));
    await said(owner, roomId, ghostOf('bob@localhost'), 'by room id');
    // A room version 12 id has no server: `!<hash>`, capitals and all.
    const hashed = await createRoom({ preset: 'public_chat', room_version: '12' });
    expect(hashed).not.toContain(':');
    const byHash = gatewayRoomJid(hashed, COMPONENT);
    await enter(bob, `${byHash}/Bob`);
    await bob.expect((el) => selfPresence(el, `${byHash}/Bob`), 'in the room version 12 room');
    await bob.send(groupchat(byHash, 'by hash', 'h1'));
    await said(owner, hashed, ghostOf('bob@localhost'), 'by hash');
    // A room with an alias, entered by its id, is listed by its alias.
    const named = await createRoom({ preset: 'public_chat', room_alias_name: `GwListed${suffix}` });
    const byId = gatewayRoomJid(named, COMPONENT);
    await enter(bob, `${byId}/Bob`);
    await bob.expect((el) => selfPresence(el, `${byId}/Bob`), 'in the named room by id');
    const items = await bob.client.iqCaller.request(
      xml('iq', { type: 'get', to: COMPONENT }, xml('query', { xmlns: DISCO_ITEMS })),
    );
    const listed = items
      .getChild('query', DISCO_ITEMS)
      ?.getChildren('item')
      .map((i) => i.attrs.jid);
    expect(listed).toContain(address);
    expect(listed).toContain(gatewayRoomJid(`#GwCaps${suffix}:localhost`, COMPONENT));
    expect(listed).toContain(gatewayRoomJid(`#GwListed${suffix}:localhost`, COMPONENT));
    expect(listed).not.toContain(byId);
  });

  it('an invite-only room is registration-required, until the user’s ghost is invited', async () => {
    const roomId = await createRoom({ preset: 'private_chat', invite: [BOT] });
    await memberIn(owner, roomId, BOT, 'join', 'the bot in the room');
    const address = gatewayRoomJid(roomId, COMPONENT);
    await enter(alice, `${address}/Alice`);
    const refused = await alice.expect(
      (el) => errorFrom(el, `${address}/Alice`),
      'registration-required',
    );
    expect(refused.getChild('error')?.attrs.type).toBe('auth');
    expect(refused.getChild('error')?.getChild('registration-required')).toBeDefined();
    await asUser(owner, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`, {
      user_id: ghostOf('alice@localhost'),
    });
    await memberIn(owner, roomId, ghostOf('alice@localhost'), 'invite', 'the invite');
    // The invite reaches the bridge through the homeserver's transactions: enter until it did.
    let answer: Element | undefined;
    for (let i = 0; i < 20 && (!answer || answer.attrs.type === 'error'); i++) {
      if (answer) await new Promise((r) => setTimeout(r, 500));
      const from = alice.heard.length;
      await enter(alice, `${address}/Alice`);
      answer = await alice.expect(
        (el) =>
          alice.heard.indexOf(el) >= from &&
          (errorFrom(el, `${address}/Alice`) || selfPresence(el, `${address}/Alice`)),
        'an answer',
      );
    }
    await alice.expect((el) => selfPresence(el, `${address}/Alice`), 'in the invite-only room');
    await memberIn(owner, roomId, ghostOf('alice@localhost'), 'join', "alice's ghost in the room");
  });

  it("a Matrix user's invite of the ghost to a room: a XEP-0249 invitation to its address, and the user enters", async () => {
    const bobGhost = ghostOf('bob@localhost');
    const roomId = await createRoom({ preset: 'private_chat', invite: [BOT, bobGhost] });
    const address = gatewayRoomJid(roomId, COMPONENT);
    const invitation = await bob.expect(
      (el) =>
        el.name === 'message' && el.getChild('x', 'jabber:x:conference')?.attrs.jid === address,
      'the invitation',
    );
    expect(invitation.attrs.from).toBe(matrixJid(owner.userId));
    await memberIn(owner, roomId, BOT, 'join', 'the bot in the room');
    await enter(bob, `${address}/Bob`);
    await bob.expect((el) => selfPresence(el, `${address}/Bob`), 'in the room');
    await sendText(owner, roomId, 'welcome in');
    await bob.expect(
      (el) =>
        el.attrs.type === 'groupchat' &&
        el.attrs.from === `${address}/Olga` &&
        el.getChildText('body') === 'welcome in',
      'the room, not a direct chat',
    );
  });

  it('a room that invited the ghost but not the bridge bot: the ghost reads it, and the user enters', async () => {
    const carol = await scope.user('carol', 'gwa');
    const carolGhost = ghostOf('carol@localhost');
    const roomId = await createRoom({ preset: 'private_chat', invite: [carolGhost] });
    const address = gatewayRoomJid(roomId, COMPONENT);
    await carol.expect(
      (el) => el.getChild('x', 'jabber:x:conference')?.attrs.jid === address,
      'the invitation',
    );
    await enter(carol, `${address}/Carol`);
    await carol.expect((el) => selfPresence(el, `${address}/Carol`), 'in the room');
    await carol.send(groupchat(address, 'no bot needed', 'n1'));
    await said(owner, roomId, carolGhost, 'no bot needed');
    await sendText(owner, roomId, 'hello carol');
    await carol.expect(
      (el) => el.attrs.from === `${address}/Olga` && el.getChildText('body') === 'hello carol',
      'the Matrix message',
    );
  });
});
