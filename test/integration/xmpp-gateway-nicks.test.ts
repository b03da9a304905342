// The gateway direction through the XMPP bridge, against real Prosody and Synapse: an XMPP user
// in a Matrix room (as the MUC `#room#server@matrix.localhost`) changes nick inside it (XEP-0045
// §7.6: every occupant sees 303 and the new nick, the ghost takes the new name in Matrix; a taken
// nick is a conflict), and sends private messages to occupants (§7.5): to another XMPP user in
// the room, from their occupant; to a Matrix member, as a direct chat with that Matrix user,
// whose answer comes back from their address. A Matrix member's new display name is a nick change.
import { randomBytes } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { asUser, roomEvents, sendText } from '../support/bridge-harness.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';
import { xmppScope } from '../support/xmpp-scope.js';
import {
  chat,
  COMPONENT,
  ghostOf,
  groupchat,
  matrixJid,
  type XmppUser,
} from '../support/xmpp-user.js';

const MUC = 'http://jabber.org/protocol/muc';
const MUC_USER = 'http://jabber.org/protocol/muc#user';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const codes = (el: Element) =>
  el
    .getChild('x', MUC_USER)
    ?.getChildren('status')
    .map((s) => s.attrs.code) ?? [];

describe('XMPP gateway: nick changes and private messages (Prosody + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const roomJid = `#gwn${suffix}#localhost@${COMPONENT}`;
  const connector = new XmppConnector();
  const scope = xmppScope();
  let olga: TestUser;
  let alice: XmppUser;
  let bob: XmppUser;
  let roomId: string;
  const aliceGhost = ghostOf('alice@localhost');

  const enter = async (user: XmppUser, nick: string) => {
    await user.send(
      xml(
        'presence',
        { to: `${roomJid}/${nick}` },
        xml('x', { xmlns: MUC }, xml('history', { maxstanzas: '0' })),
      ),
    );
    await user.expect(
      (el) =>
        el.name === 'presence' &&
        el.attrs.from === `${roomJid}/${nick}` &&
        codes(el).includes('110'),
      `${user.jid} in the room`,
    );
  };

  beforeAll(async () => {
    requireSynapse();
    olga = await registerUser(uniqueLocalpart('olga'), undefined, { displayname: 'Olga' });
    roomId = (
      await asUser<{ room_id: string }>(olga, 'POST', '/_matrix/client/v3/createRoom', {
        preset: 'public_chat',
        room_alias_name: `gwn${suffix}`,
      })
    ).room_id;
    await scope.bridge(connector);
    [alice, bob] = await Promise.all([scope.user('alice', 'gwn'), scope.user('bob', 'gwn')]);
    await enter(alice, 'Alice');
    await enter(bob, 'Bob');
  });

  it('a nick change inside the room: 303 to every occupant, and the ghost renamed in Matrix', async () => {
    await alice.send(xml('presence', { to: `${roomJid}/Alicia` }));
    for (const user of [alice, bob]) {
      const gone = await user.expect(
        (el) =>
          el.name === 'presence' &&
          el.attrs.from === `${roomJid}/Alice` &&
          el.attrs.type === 'unavailable' &&
          codes(el).includes('303'),
        `${user.jid} told of the nick change`,
      );
      expect(gone.getChild('x', MUC_USER)?.getChild('item')?.attrs.nick).toBe('Alicia');
      expect(codes(gone).includes('110')).toBe(user === alice);
      await user.expect(
        (el) =>
          el.name === 'presence' &&
          el.attrs.from === `${roomJid}/Alicia` &&
          el.attrs.type === undefined,
        `${user.jid} sees Alicia`,
      );
    }
    await waitFor(
      async () =>
        (await roomEvents(olga, roomId)).some(
          (e) =>
            e.type === 'm.room.member' &&
            e.state_key === aliceGhost &&
            e.content.displayname === 'Alicia',
        ),
      20_000,
      "the ghost's new name in Matrix",
    );
    await alice.send(groupchat(roomJid, 'as Alicia'));
    const heard = await bob.expect(
      (el) => el.name === 'message' && el.getChildText('body') === 'as Alicia',
      'the message from the new nick',
    );
    expect(heard.attrs.from).toBe(`${roomJid}/Alicia`);
  });

  it('a nick someone has is a conflict, and the user keeps theirs', async () => {
    await alice.send(xml('presence', { to: `${roomJid}/Olga` }));
    const refused = await alice.expect(
      (el) =>
        el.name === 'presence' && el.attrs.type === 'error' && el.attrs.from === `${roomJid}/Olga`,
      'the conflict',
    );
    expect(refused.getChild('error')?.getChild('conflict', STANZAS)).toBeDefined();
    await alice.send(groupchat(roomJid, 'still Alicia'));
    const heard = await bob.expect(
      (el) => el.name === 'message' && el.getChildText('body') === 'still Alicia',
      'a message after the refused change',
    );
    expect(heard.attrs.from).toBe(`${roomJid}/Alicia`);
  });

  it('a private message to another XMPP occupant reaches them from the sender’s occupant', async () => {
    await alice.send(chat(alice.jid, `${roomJid}/Bob`, 'psst bob'));
    const pm = await bob.expect(
      (el) => el.name === 'message' && el.getChildText('body') === 'psst bob',
      'the private message',
    );
    expect(pm.attrs.from).toBe(`${roomJid}/Alicia`);
    expect(pm.attrs.type).toBe('chat');
    expect(pm.getChild('x', MUC_USER)).toBeDefined();
    // Never in the Matrix room.
    expect((await roomEvents(olga, roomId)).some((e) => e.content.body === 'psst bob')).toBe(false);
  });

  it('a private message to a Matrix member is a direct chat with them, answered from their address', async () => {
    await alice.send(chat(alice.jid, `${roomJid}/Olga`, 'psst olga'));
    const dm = await waitFor(
      () => connector.roomOf(XmppConnector.dmPortal('alice@localhost', olga.userId)),
      20_000,
      'the direct chat',
    );
    await waitFor(
      () =>
        asUser(olga, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(dm)}`, {}).then(
          () => true,
          () => false,
        ),
      20_000,
      'olga invited',
    );
    await waitFor(
      async () =>
        (await roomEvents(olga, dm)).some(
          (e) => e.sender === aliceGhost && e.content.body === 'psst olga',
        ),
      20_000,
      'the private message in the direct chat',
    );
    expect((await roomEvents(olga, roomId)).some((e) => e.content.body === 'psst olga')).toBe(
      false,
    );
    await sendText(olga, dm, 'hi alice, privately');
    await waitFor(
      () => alice.bodiesFrom(matrixJid(olga.userId)).includes('hi alice, privately'),
      20_000,
      'the answer on XMPP',
    );
  });

  it("a Matrix member's new display name is a nick change in the room", async () => {
    await asUser(
      olga,
      'PUT',
      `/_matrix/client/v3/profile/${encodeURIComponent(olga.userId)}/displayname`,
      {
        displayname: 'Olgita',
      },
    );
    for (const user of [alice, bob]) {
      const gone = await user.expect(
        (el) =>
          el.name === 'presence' &&
          el.attrs.from === `${roomJid}/Olga` &&
          el.attrs.type === 'unavailable' &&
          codes(el).includes('303'),
        `${user.jid} told of Olga's new name`,
      );
      expect(gone.getChild('x', MUC_USER)?.getChild('item')?.attrs.nick).toBe('Olgita');
      await user.expect(
        (el) =>
          el.name === 'presence' &&
          el.attrs.from === `${roomJid}/Olgita` &&
          el.attrs.type === undefined,
        `${user.jid} sees Olgita`,
      );
    }
    await sendText(olga, roomId, 'as Olgita');
    const heard = await alice.expect(
      (el) => el.name === 'message' && el.getChildText('body') === 'as Olgita',
      'her message under the new nick',
    );
    expect(heard.attrs.from).toBe(`${roomJid}/Olgita`);
  });
});
