// XEP-0425 message moderation ↔ redactions of another's message, in a MUC portal, against real
// Prosody (mod_muc_moderation, XEP-0425 v0.2) and Synapse: (a) an XMPP moderator removes an XMPP
// user's message → its Matrix event is redacted, with the reason, by the moderator's ghost;
// (b) a Matrix user whose occupant is a moderator redacts an XMPP user's message → the XMPP
// occupants get the room's moderation announcement; (c) a Matrix user whose occupant is not a
// moderator is told that the room refused, and the XMPP occupants keep the message; (d) after a
// bridge restart, an XMPP message from before it is still known as one (the room's archive), and
// a Matrix user's is moderated by the room's stanza-id (found in the archive by its origin-id);
// (e) a Matrix moderator redacts another Matrix user's message → a moderation too, while a Matrix
// user's redaction of their own message is their XEP-0424 retraction; (f) a Matrix user whose
// occupant is not a moderator redacting another Matrix user's message is told the room refused.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { xml, type Element } from '@xmpp/xml';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import {
  asUser,
  replyTarget,
  roomEvents,
  sendText,
  type RoomEvent,
} from '../support/bridge-harness.js';
import { requireSynapse, testRegistration, waitFor, type TestUser } from '../support/synapse.js';
import { enterMuc, matrixUser, said, xmppScope } from '../support/xmpp-scope.js';
import { ghostOf, joinMuc, matrixJid, MUC_HOST, type XmppUser } from '../support/xmpp-user.js';

const NS = {
  sid: 'urn:xmpp:sid:0',
  fasten: 'urn:xmpp:fasten:0',
  moderate: 'urn:xmpp:message-moderate:0',
  retract: 'urn:xmpp:message-retract:0',
  retract1: 'urn:xmpp:message-retract:1',
  mucUser: 'http://jabber.org/protocol/muc#user',
  mucAdmin: 'http://jabber.org/protocol/muc#admin',
};

describe('XMPP: XEP-0425 moderation ↔ redactions (Prosody + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const room = `mod${suffix}@${MUC_HOST}`;
  const connector = new XmppConnector();
  const scope = xmppScope();
  const database = join(mkdtempSync(join(tmpdir(), 'sb-moderation-')), 'switchboard.db');
  let bridge: Switchboard;
  let carol: XmppUser; // the MUC's owner: a moderator
  let bob: XmppUser; // a participant
  let matt: TestUser; // his occupant is made a moderator
  let otto: TestUser; // his occupant stays a participant
  let roomId: string;
  const mattNick = `Matt ${suffix}`;
  const ottoNick = `Otto ${suffix}`;
  const bobGhost = ghostOf(`${room}/Bob`);
  const carolGhost = ghostOf(`${room}/Carol`);
  const levelsPath = () =>
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.power_levels/`;

  /** Bob says `body`: the room's stanza-id of it (his reflected copy) and its Matrix event. */
  const bobSays = async (body: string) => {
    const id = `b${randomBytes(4).toString('hex')}`;
    await bob.send(xml('message', { type: 'groupchat', to: room, id }, xml('body', {}, body)));
    const copy = await bob.expect(
      (el) => el.name === 'message' && el.attrs.id === id && el.attrs.from === `${room}/Bob`,
      `"${body}" reflected`,
    );
    const stanzaId = copy.getChildren('stanza-id', NS.sid).find((s) => s.attrs.by === room)!.attrs
      .id!;
    const event = await said(matt, roomId, bobGhost, body);
    return { stanzaId, event };
  };
  const redact = (user: TestUser, eventId: string, reason?: string) =>
    asUser<{ event_id: string }>(
      user,
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/redact/${encodeURIComponent(eventId)}/r${randomBytes(4).toString('hex')}`,
      reason ? { reason } : {},
    );
  /** A Matrix user says `body`: its Matrix event and the room's stanza-id of it (Carol's copy). */
  const matrixSays = async (user: TestUser, nick: string, body: string) => {
    const event_id = await sendText(user, roomId, body);
    const copy = await carol.expect(
      (el) =>
        el.name === 'message' &&
        el.attrs.from === `${room}/${nick}` &&
        el.getChildText('body') === body,
      `"${body}" on XMPP`,
    );
    const stanzaId = copy.getChildren('stanza-id', NS.sid).find((s) => s.attrs.by === room)!.attrs
      .id!;
    return { event_id, stanzaId, originId: copy.getChild('origin-id', NS.sid)?.attrs.id };
  };
  /** The failure notice Otto gets for his redaction `redaction`. */
  const toldOtto = (redaction: string) =>
    waitFor(
      async () =>
        (await roomEvents(otto, roomId)).find(
          (e) => e.content.msgtype === 'm.notice' && replyTarget(e) === redaction,
        ),
      20_000,
      'the refusal told to Otto',
    );
  /** The room's moderation announcement of `stanzaId`, as `user` got it. */
  const announcement = (stanzaId: string) => (el: Element) =>
    el.name === 'message' &&
    el.attrs.from === room &&
    el.getChild('apply-to', NS.fasten)?.attrs.id === stanzaId;

  beforeAll(async () => {
    requireSynapse();
    [carol, bob] = await Promise.all([scope.user('carol', 'mod'), scope.user('bob', 'mod')]);
    await joinMuc(carol, room, 'Carol');
    await joinMuc(bob, room, 'Bob');
    bridge = await scope.bridge(connector, {}, { database });
    matt = await matrixUser('matt', mattNick);
    otto = await matrixUser('otto', ottoNick);
    roomId = await enterMuc(matt, room, mattNick, carol);
    await enterMuc(otto, room, ottoNick, carol);
    // Carol makes Matt's occupant an admin of the MUC (so a moderator); Otto's stays a participant.
    await carol.client.iqCaller.request(
      xml(
        'iq',
        { type: 'set', to: room },
        xml(
          'query',
          { xmlns: NS.mucAdmin },
          xml('item', { jid: matrixJid(matt.userId), affiliation: 'admin' }),
        ),
      ),
    );
    await carol.expect(
      (el) =>
        el.name === 'presence' &&
        el.attrs.from === `${room}/${mattNick}` &&
        el.getChild('x', NS.mucUser)?.getChild('item')?.attrs.role === 'moderator',
      'Matt a moderator',
    );
    // In Matrix, both may redact others' events (level 50), as a room admin would set it; the
    // bridge bot (the room's creator) sets it once it has set the ghosts' levels.
    const bot = { accessToken: testRegistration().as_token };
    const users = async () =>
      (await asUser<{ users?: Record<string, number> }>(bot, 'GET', levelsPath())).users ?? {};
    await waitFor(async () => ((await users())[carolGhost] ?? 0) >= 100, 20_000, 'ghost levels');
    await waitFor(
      async () => {
        const now = await users();
        if (now[matt.userId] === 50 && now[otto.userId] === 50) return true;
        const levels = await asUser<Record<string, unknown>>(bot, 'GET', levelsPath());
        await asUser(bot, 'PUT', levelsPath(), {
          ...levels,
          users: { ...(levels.users as object), [matt.userId]: 50, [otto.userId]: 50 },
        });
        return false;
      },
      20_000,
      'Matt and Otto at level 50',
      200,
    );
  });

  it('(a) an XMPP moderator removes an XMPP user’s message: the Matrix event is redacted', async () => {
    const spam = await bobSays(`buy cheap things ${suffix}`);
    await carol.client.iqCaller.request(
      xml(
        'iq',
        { type: 'set', to: room },
        xml(
          'apply-to',
          { xmlns: NS.fasten, id: spam.stanzaId },
          xml(
            'moderate',
            { xmlns: NS.moderate },
            xml('retract', { xmlns: NS.retract }),
            xml('reason', {}, 'spam'),
          ),
        ),
      ),
    );
    const because = (await waitFor(
      async () =>
        (await roomEvents(matt, roomId)).find((e) => e.event_id === spam.event.event_id)?.unsigned
          ?.redacted_because,
      20_000,
      "Bob's message redacted in Matrix",
    )) as RoomEvent;
    expect(because.content.reason).toBe('spam');
    expect(because.sender).toBe(carolGhost);
  });

  it('(b) a Matrix user with a moderator occupant redacts an XMPP user’s message: XMPP clients get the moderation', async () => {
    const rude = await bobSays(`something rude ${suffix}`);
    await redact(matt, rude.event.event_id, 'be nice');
    const seen = await carol.expect(announcement(rude.stanzaId), 'the moderation on XMPP');
    const moderated = seen.getChild('apply-to', NS.fasten)!.getChild('moderated', NS.moderate)!;
    expect(moderated.attrs.by).toBe(`${room}/${mattNick}`);
    expect(moderated.getChild('retract', NS.retract)).toBeDefined();
    expect(moderated.getChildText('reason')).toBe('be nice');
    await bob.expect(announcement(rude.stanzaId), 'Bob got the moderation too');
    // Our own occupant's moderation, reflected, is not redacted again in Matrix (one redaction).
    await new Promise((r) => setTimeout(r, 1_000));
    const redactions = (await roomEvents(matt, roomId)).filter(
      (e) => e.type === 'm.room.redaction' && e.content.redacts === rude.event.event_id,
    );
    expect(redactions.map((e) => e.sender)).toEqual([matt.userId]);
  });

  it('(c) a Matrix user whose occupant is not a moderator is told the room refused', async () => {
    const kept = await bobSays(`an opinion ${suffix}`);
    const { event_id: redaction } = await redact(otto, kept.event.event_id, 'disagree');
    const notice = await toldOtto(redaction);
    expect(String(notice.content.body)).toMatch(/refused/i);
    expect(String(notice.content.body)).toMatch(/moderat/i);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(carol.heard.some(announcement(kept.stanzaId))).toBe(false);
  });

  it('(e) a Matrix moderator redacts another Matrix user’s message: a moderation; one’s own: a retraction', async () => {
    const otto1 = await matrixSays(otto, ottoNick, `off topic ${suffix}`);
    await redact(matt, otto1.event_id, 'stay on topic');
    const seen = await carol.expect(announcement(otto1.stanzaId), 'the moderation on XMPP');
    const moderated = seen.getChild('apply-to', NS.fasten)!.getChild('moderated', NS.moderate)!;
    expect(moderated.attrs.by).toBe(`${room}/${mattNick}`);
    expect(moderated.getChildText('reason')).toBe('stay on topic');

    const otto2 = await matrixSays(otto, ottoNick, `a typo ${suffix}`);
    await redact(otto, otto2.event_id);
    const retraction = await carol.expect(
      (el) =>
        el.name === 'message' &&
        el.attrs.from === `${room}/${ottoNick}` &&
        el.getChild('retract', NS.retract1) !== undefined,
      "Otto's retraction on XMPP",
    );
    expect([otto2.stanzaId, otto2.originId]).toContain(
      retraction.getChild('retract', NS.retract1)!.attrs.id,
    );
    expect(carol.heard.some(announcement(otto2.stanzaId))).toBe(false);
  });

  it('(f) a Matrix user whose occupant is not a moderator redacts another Matrix user’s message: told the room refused', async () => {
    const kept = await matrixSays(matt, mattNick, `a ruling ${suffix}`);
    const { event_id: redaction } = await redact(otto, kept.event_id, 'disagree');
    const notice = await toldOtto(redaction);
    expect(String(notice.content.body)).toMatch(/refused/i);
    expect(carol.heard.some(announcement(kept.stanzaId))).toBe(false);
  });

  it('(d) after a bridge restart, older messages are still moderated: an XMPP one, a Matrix one', async () => {
    const old = await bobSays(`yesterday's news ${suffix}`);
    // Core names a message by the first of its ids in the message map's order: one whose own id
    // (origin-id) sorts first is named by it after the restart, an id the room does not know.
    let ottoOld: Awaited<ReturnType<typeof matrixSays>>;
    for (let i = 0; ; i++) {
      ottoOld = await matrixSays(otto, ottoNick, `last week ${i} ${suffix}`);
      if (ottoOld.originId && ottoOld.originId < ottoOld.stanzaId) break;
    }
    await bridge.stop();
    const since = carol.heard.length;
    bridge = await scope.bridge(connector, {}, { database });
    await waitFor(
      () =>
        carol.heard
          .slice(since)
          .find(
            (el) =>
              el.name === 'presence' &&
              el.attrs.from === `${room}/${mattNick}` &&
              el.attrs.type !== 'unavailable',
          ),
      20_000,
      "Matt's occupant back in the MUC",
    );
    await redact(matt, old.event.event_id, 'outdated');
    const seen = await carol.expect(announcement(old.stanzaId), 'the moderation on XMPP');
    const moderated = seen.getChild('apply-to', NS.fasten)!.getChild('moderated', NS.moderate)!;
    expect(moderated.attrs.by).toBe(`${room}/${mattNick}`);
    expect(moderated.getChildText('reason')).toBe('outdated');

    await redact(matt, ottoOld.event_id, 'stale');
    const gone = await carol.expect(
      announcement(ottoOld.stanzaId),
      'the older Matrix one moderated',
    );
    expect(gone.getChild('apply-to', NS.fasten)!.getChild('moderated', NS.moderate)!.attrs.by).toBe(
      `${room}/${mattNick}`,
    );
  });
});
