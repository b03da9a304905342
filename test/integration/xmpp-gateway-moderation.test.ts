// XEP-0425 moderation in a gateway room (a Matrix room as a MUC on the component), against real
// Prosody and Synapse: (a) the room advertises it; (b) an XMPP user whose ghost is a Matrix
// moderator removes a Matrix user's message: the event is redacted by their ghost with the
// reason, and the XMPP users get the room's announcement; (c) one whose ghost is not is refused
// (`forbidden`), and the message stays; (d) a Matrix moderator's redaction of another's message
// is the room's announcement to XMPP users, a Matrix user's redaction of their own their retraction;
// (e) a room that asks more than the ghost's level to redact refuses the XMPP moderator; (f) a
// removal Synapse refuses (the room asks 100 to send any redaction, which the bridge does not
// check) is the moderation's error, and nothing is announced; (g) an XMPP user's message Synapse
// refuses (the room asks 100 to send messages) bounces to them as an error with its id.
import { randomBytes } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { asUser, roomEvents, sendText, type RoomEvent } from '../support/bridge-harness.js';
import { setEventLevel } from '../support/room-levels.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';
import { memberIn, xmppScope } from '../support/xmpp-scope.js';
import { COMPONENT, ghostOf, type XmppUser } from '../support/xmpp-user.js';

const NS = {
  mucUser: 'http://jabber.org/protocol/muc#user',
  discoInfo: 'http://jabber.org/protocol/disco#info',
  sid: 'urn:xmpp:sid:0',
  fasten: 'urn:xmpp:fasten:0',
  moderate0: 'urn:xmpp:message-moderate:0',
  moderate1: 'urn:xmpp:message-moderate:1',
  retract0: 'urn:xmpp:message-retract:0',
  retract1: 'urn:xmpp:message-retract:1',
};

describe('XMPP gateway: XEP-0425 moderation ↔ redactions (Prosody + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const roomJid = `#gwmod${suffix}#localhost@${COMPONENT}`;
  const connector = new XmppConnector();
  const scope = xmppScope();
  let owner: TestUser; // Olga, level 100
  let quinn: TestUser; // level 0
  let alice: XmppUser; // her ghost is made a moderator
  let bob: XmppUser; // his is not
  let roomId: string;
  const aliceGhost = ghostOf('alice@localhost');
  const room = () => encodeURIComponent(roomId);

  /** A Matrix user says `body`: its event id and its stanza-id (Alice's copy). */
  const says = async (user: TestUser, nick: string, body: string) => {
    const eventId = await sendText(user, roomId, body);
    const copy = await alice.expect(
      (el) =>
        el.name === 'message' &&
        el.attrs.from === `${roomJid}/${nick}` &&
        el.getChildText('body') === body,
      `"${body}" on XMPP`,
    );
    return { eventId, stanzaId: copy.getChild('stanza-id', NS.sid)!.attrs.id! };
  };
  const moderation = (stanzaId: string, reason: string) =>
    xml(
      'iq',
      { type: 'set', to: roomJid },
      xml(
        'apply-to',
        { xmlns: NS.fasten, id: stanzaId },
        xml(
          'moderate',
          { xmlns: NS.moderate0 },
          xml('retract', { xmlns: NS.retract0 }),
          xml('reason', {}, reason),
        ),
      ),
    );
  const announcement = (stanzaId: string) => (el: Element) =>
    el.name === 'message' &&
    el.attrs.from === roomJid &&
    el.getChild('apply-to', NS.fasten)?.attrs.id === stanzaId;
  const redactedBy = (eventId: string) =>
    waitFor(
      async () =>
        (await roomEvents(owner, roomId)).find((e) => e.event_id === eventId)?.unsigned
          ?.redacted_because,
      20_000,
      'the event redacted in Matrix',
    ) as Promise<RoomEvent>;
  /** `user`'s moderation of `kept` is refused (`forbidden`): it stays in Matrix, `other` hears nothing. */
  const refusedTo = async (
    user: XmppUser,
    kept: { eventId: string; stanzaId: string },
    other: XmppUser,
  ) => {
    const refused = await user.client.iqCaller.request(moderation(kept.stanzaId, 'no')).then(
      () => undefined,
      (err: { condition?: string }) => err,
    );
    expect(refused?.condition).toBe('forbidden');
    await new Promise((r) => setTimeout(r, 1_000));
    const event = (await roomEvents(owner, roomId)).find((e) => e.event_id === kept.eventId);
    expect(event?.unsigned?.redacted_because).toBeUndefined();
    expect(other.heard.some(announcement(kept.stanzaId))).toBe(false);
  };
  const enter = async (user: XmppUser, nick: string) => {
    await user.send(
      xml(
        'presence',
        { to: `${roomJid}/${nick}` },
        xml('x', { xmlns: 'http://jabber.org/protocol/muc' }),
      ),
    );
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

  beforeAll(async () => {
    requireSynapse();
    owner = await registerUser(uniqueLocalpart('owner'), undefined, { displayname: 'Olga' });
    quinn = await registerUser(uniqueLocalpart('quinn'), undefined, { displayname: 'Quinn' });
    roomId = (
      await asUser<{ room_id: string }>(owner, 'POST', '/_matrix/client/v3/createRoom', {
        preset: 'public_chat',
        room_alias_name: `gwmod${suffix}`,
      })
    ).room_id;
    await asUser(quinn, 'POST', `/_matrix/client/v3/join/${room()}`, {});
    await scope.bridge(connector);
    [alice, bob] = await Promise.all([scope.user('alice', 'gwmod'), scope.user('bob', 'gwmod')]);
    await enter(alice, 'Alice');
    await enter(bob, 'Bob');
    await memberIn(owner, roomId, aliceGhost, 'join', "Alice's ghost in the room");
    // Olga makes Alice's ghost a moderator: Alice sees herself one.
    const path = `/_matrix/client/v3/rooms/${room()}/state/m.room.power_levels/`;
    const levels = await asUser<Record<string, unknown>>(owner, 'GET', path);
    await asUser(owner, 'PUT', path, {
      ...levels,
      users: { ...(levels.users as object), [aliceGhost]: 50 },
    });
    await alice.expect(
      (el) =>
        el.name === 'presence' &&
        el.attrs.from === `${roomJid}/Alice` &&
        el.getChild('x', NS.mucUser)?.getChild('item')?.attrs.role === 'moderator',
      'Alice a moderator',
    );
  });

  it('(a) the room advertises XEP-0425', async () => {
    const info = await alice.client.iqCaller.request(
      xml('iq', { type: 'get', to: roomJid }, xml('query', { xmlns: NS.discoInfo })),
    );
    const features = info
      .getChild('query', NS.discoInfo)!
      .getChildren('feature')
      .map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining([NS.moderate0, NS.moderate1]));
  });

  it('(b) an XMPP moderator removes a Matrix user’s message: redacted by their ghost, announced', async () => {
    const spam = await says(quinn, 'Quinn', `cheap things ${suffix}`);
    await alice.client.iqCaller.request(moderation(spam.stanzaId, 'spam'));
    const because = await redactedBy(spam.eventId);
    expect(because.sender).toBe(aliceGhost);
    expect(because.content.reason).toBe('spam');
    const seen = await bob.expect(announcement(spam.stanzaId), 'the announcement to Bob');
    const moderated = seen.getChild('apply-to', NS.fasten)!.getChild('moderated', NS.moderate0)!;
    expect(moderated.attrs.by).toBe(`${roomJid}/Alice`);
    expect(moderated.getChildText('reason')).toBe('spam');
  });

  it('(c) an XMPP user whose ghost is no moderator is refused; the message stays', async () => {
    const kept = await says(quinn, 'Quinn', `an opinion ${suffix}`);
    await refusedTo(bob, kept, alice);
  });

  it('(d) a Matrix moderator’s redaction of another’s message is announced; one’s own is a retraction', async () => {
    const rude = await says(quinn, 'Quinn', `something rude ${suffix}`);
    await asUser(
      owner,
      'PUT',
      `/_matrix/client/v3/rooms/${room()}/redact/${encodeURIComponent(rude.eventId)}/r1${suffix}`,
      {
        reason: 'be nice',
      },
    );
    const seen = await alice.expect(announcement(rude.stanzaId), 'the announcement to Alice');
    const moderated = seen.getChild('apply-to', NS.fasten)!.getChild('moderated', NS.moderate0)!;
    expect(moderated.attrs.by).toBe(`${roomJid}/Olga`);
    expect(
      seen.getChild('retract', NS.retract1)?.getChild('moderated', NS.moderate1),
    ).toBeDefined();

    const typo = await says(quinn, 'Quinn', `a typo ${suffix}`);
    await asUser(
      quinn,
      'PUT',
      `/_matrix/client/v3/rooms/${room()}/redact/${encodeURIComponent(typo.eventId)}/r2${suffix}`,
      {},
    );
    const retraction = await alice.expect(
      (el) =>
        el.name === 'message' &&
        el.attrs.from === `${roomJid}/Quinn` &&
        el.getChild('retract', NS.retract1)?.attrs.id === typo.stanzaId,
      "Quinn's retraction on XMPP",
    );
    expect(
      retraction.getChild('retract', NS.retract1)?.getChild('moderated', NS.moderate1),
    ).toBeUndefined();
    expect(alice.heard.some(announcement(typo.stanzaId))).toBe(false);
  });

  /** Olga sets the level to send events of `type` (undefined: the default again). */
  const sendLevel = (type: string, level: number | undefined) =>
    setEventLevel(roomId, type, level, owner);

  it('(f) a removal Synapse refuses is the moderation’s error, and nothing is announced', async () => {
    await sendLevel('m.room.redaction', 100);
    try {
      const kept = await says(quinn, 'Quinn', `refused removal ${suffix}`);
      const refused = await alice.client.iqCaller.request(moderation(kept.stanzaId, 'no')).then(
        () => undefined,
        (err: { condition?: string; text?: string }) => err,
      );
      expect(refused?.condition, 'the moderation is refused').toBe('forbidden');
      const event = (await roomEvents(owner, roomId)).find((e) => e.event_id === kept.eventId);
      expect(event?.unsigned?.redacted_because).toBeUndefined();
      expect(bob.heard.some(announcement(kept.stanzaId)), 'nothing announced').toBe(false);
    } finally {
      await sendLevel('m.room.redaction', undefined);
    }
  });

  it('(g) an XMPP user’s message Synapse refuses bounces to them as an error with its id', async () => {
    await sendLevel('m.room.message', 100);
    try {
      const id = `bounced-${suffix}`;
      const text = `not allowed here ${suffix}`;
      await bob.send(xml('message', { type: 'groupchat', to: roomJid, id }, xml('body', {}, text)));
      const bounced = await bob.expect(
        (el) => el.name === 'message' && el.attrs.type === 'error' && el.attrs.id === id,
        'the bounce to Bob',
      );
      expect(bounced.attrs.from).toBe(roomJid);
      const error = bounced.getChild('error')!;
      expect(error.getChild('forbidden', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
      expect(error.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toMatch(
        /M_FORBIDDEN/,
      );
      const events = await roomEvents(owner, roomId);
      expect(events.some((e) => e.content.body === text)).toBe(false);
    } finally {
      await sendLevel('m.room.message', undefined);
    }
  });

  it('(e) a room whose redact level is above the moderator’s ghost: refused, nothing announced', async () => {
    // Olga asks 75 to redact others' events: Alice's ghost (50) may not, so Alice is refused
    // rather than told of a removal the homeserver would refuse.
    const path = `/_matrix/client/v3/rooms/${room()}/state/m.room.power_levels/`;
    const levels = await asUser<Record<string, unknown>>(owner, 'GET', path);
    await asUser(owner, 'PUT', path, { ...levels, redact: 75 });
    // The bridge has the new levels once a later event of the room reached it (in order).
    const kept = await says(quinn, 'Quinn', `after the change ${suffix}`);
    await refusedTo(alice, kept, bob);
  });
});
