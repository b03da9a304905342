// A gateway room (a Matrix room as a MUC on the component) reflects an XMPP user's message to its
// XMPP occupants only once Matrix took it, against real Prosody and Synapse: (a) an accepted
// message reaches both XMPP users, the sender's copy being its "sent", with the stanza-id its
// Matrix event is mapped by (a Matrix user's reaction to the event names it), and the event is in
// Matrix when the reflection comes; (b) an XMPP user whose ghost is muted by power levels speaks,
// corrects and retracts: the other XMPP user never sees any of it, the sender gets each one's
// error and no reflection.
import { randomBytes } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { asUser, roomEvents, sendAs } from '../support/bridge-harness.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  type TestUser,
} from '../support/synapse.js';
import { memberIn, xmppScope } from '../support/xmpp-scope.js';
import { COMPONENT, ghostOf, groupchat, type XmppUser } from '../support/xmpp-user.js';

const NS = {
  muc: 'http://jabber.org/protocol/muc',
  mucUser: 'http://jabber.org/protocol/muc#user',
  sid: 'urn:xmpp:sid:0',
  stanzas: 'urn:ietf:params:xml:ns:xmpp-stanzas',
  correct: 'urn:xmpp:message-correct:0',
  retract: 'urn:xmpp:message-retract:1',
  reactions: 'urn:xmpp:reactions:0',
};

describe('XMPP gateway: reflections once Matrix took the message (Prosody + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const roomJid = `#gwrefl${suffix}#localhost@${COMPONENT}`;
  const scope = xmppScope();
  let owner: TestUser;
  let alice: XmppUser;
  let bob: XmppUser;
  let roomId: string;
  const aliceGhost = ghostOf('alice@localhost');
  const levelsPath = () =>
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.power_levels/`;

  /** The stanza-id the room gave Alice's first message (a). */
  let firstId = '';

  /** Alice's message `id` as the room reflects it to its occupants. */
  const reflection = (id: string) => (el: Element) =>
    el.name === 'message' &&
    el.attrs.type === 'groupchat' &&
    el.attrs.from === `${roomJid}/Alice` &&
    el.attrs.id === id;
  const enter = async (user: XmppUser, nick: string) => {
    await user.send(xml('presence', { to: `${roomJid}/${nick}` }, xml('x', { xmlns: NS.muc })));
    await user.expect(
      (el) =>
        el.name === 'presence' &&
        el.attrs.from === `${roomJid}/${nick}` &&
        !!el
          .getChild('x', NS.mucUser)
          ?.getChildren('status')
          .some((s) => s.attrs.code === '110'),
      `${nick} in the room`,
    );
  };
  /** Sets Alice's ghost's level (-1: muted, below the room's events_default of 0). */
  const aliceLevel = async (level: number) => {
    const levels = await asUser<Record<string, unknown>>(owner, 'GET', levelsPath());
    await asUser(owner, 'PUT', levelsPath(), {
      ...levels,
      users: { ...(levels.users as object), [aliceGhost]: level },
    });
  };

  beforeAll(async () => {
    requireSynapse();
    owner = await registerUser(uniqueLocalpart('owner'), undefined, { displayname: 'Olga' });
    roomId = (
      await asUser<{ room_id: string }>(owner, 'POST', '/_matrix/client/v3/createRoom', {
        preset: 'public_chat',
        room_alias_name: `gwrefl${suffix}`,
      })
    ).room_id;
    await scope.bridge(new XmppConnector());
    [alice, bob] = await Promise.all([scope.user('alice', 'gwrefl'), scope.user('bob', 'gwrefl')]);
    await enter(alice, 'Alice');
    await enter(bob, 'Bob');
    await memberIn(owner, roomId, aliceGhost, 'join', "Alice's ghost in the room");
  });

  it('(a) an accepted message is reflected to both, with the stanza-id its Matrix event has', async () => {
    const text = `hello both ${suffix}`;
    await alice.send(groupchat(roomJid, text, 'r1'));
    const own = await alice.expect(reflection('r1'), 'Alice’s reflection');
    // Sent once the homeserver took it: the event is there already.
    const event = (await roomEvents(owner, roomId)).find((e) => e.content.body === text);
    expect(event?.sender, 'the event in Matrix when the reflection came').toBe(aliceGhost);
    const theirs = await bob.expect(reflection('r1'), 'Bob’s copy');
    expect(theirs.getChildText('body')).toBe(text);
    const stanzaId = own.getChild('stanza-id', NS.sid)?.attrs;
    expect(stanzaId?.by).toBe(roomJid);
    firstId = stanzaId!.id!;
    expect(theirs.getChild('stanza-id', NS.sid)?.attrs.id).toBe(stanzaId?.id);
    // Olga reacts to the event: the XMPP users get the reaction to that stanza-id.
    await sendAs(
      owner,
      roomId,
      { 'm.relates_to': { rel_type: 'm.annotation', event_id: event!.event_id, key: '👍' } },
      'm.reaction',
    );
    const reaction = await bob.expect(
      (el) => el.attrs.from === `${roomJid}/Olga` && !!el.getChild('reactions', NS.reactions),
      'Olga’s reaction on XMPP',
    );
    expect(reaction.getChild('reactions', NS.reactions)?.attrs.id).toBe(stanzaId?.id);
  });

  it('(b) a muted ghost’s message, correction and retraction: errors to the sender, nothing to the room', async () => {
    await aliceLevel(-1);
    try {
      const said = `muted words ${suffix}`;
      const stanzas: [string, Element][] = [
        ['r2', groupchat(roomJid, said, 'r2')],
        [
          'r3',
          xml(
            'message',
            { type: 'groupchat', to: roomJid, id: 'r3' },
            xml('body', {}, `hello both, corrected ${suffix}`),
            xml('replace', { xmlns: NS.correct, id: 'r1' }),
          ),
        ],
        [
          'r4',
          xml(
            'message',
            { type: 'groupchat', to: roomJid, id: 'r4' },
            xml('retract', { xmlns: NS.retract, id: firstId }),
          ),
        ],
      ];
      for (const [id, el] of stanzas) {
        await alice.send(el);
        const error = await alice.expect(
          (e) => e.name === 'message' && e.attrs.type === 'error' && e.attrs.id === id,
          `the error for ${id}`,
        );
        expect(error.getChild('error')?.getChild('forbidden', NS.stanzas)).toBeDefined();
      }
      // Bob's own message comes after, in the room's order: what came before reached him already.
      await bob.send(groupchat(roomJid, `bob after ${suffix}`, 'b1'));
      await bob.expect(
        (el) => el.attrs.from === `${roomJid}/Bob` && el.attrs.id === 'b1',
        'Bob’s reflection',
      );
      for (const user of [alice, bob])
        for (const [id] of stanzas)
          expect(user.heard.some(reflection(id)), `${id} reflected to ${user.jid}`).toBe(false);
      const events = await roomEvents(owner, roomId);
      expect(events.some((e) => e.content.body === said)).toBe(false);
    } finally {
      await aliceLevel(0);
    }
  });
});
