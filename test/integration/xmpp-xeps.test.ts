// The XEPs of a conversation through the XMPP bridge, both ways, in a MUC against real Prosody
// and Synapse: corrections (XEP-0308) ↔ edits, retractions (XEP-0424) ↔ redactions, reactions
// (XEP-0444, a user's whole set each time) ↔ reactions, replies (XEP-0461) ↔ replies, chat
// states (XEP-0085) ↔ typing. MUC references name messages by the room's stanza-ids.
import { randomBytes } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import { xml } from '@xmpp/xml';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import {
  asUser,
  replyTarget,
  roomEvents,
  sendAs,
  sendText,
  type RoomEvent,
} from '../support/bridge-harness.js';
import { requireSynapse, waitFor, type TestUser } from '../support/synapse.js';
import { enterMuc, matrixUser, xmppScope } from '../support/xmpp-scope.js';
import { ghostOf, joinMuc, MUC_HOST, type XmppUser } from '../support/xmpp-user.js';

const NS = {
  sid: 'urn:xmpp:sid:0',
  correct: 'urn:xmpp:message-correct:0',
  retract: 'urn:xmpp:message-retract:1',
  reactions: 'urn:xmpp:reactions:0',
  reply: 'urn:xmpp:reply:0',
  chatStates: 'http://jabber.org/protocol/chatstates',
};

describe('XMPP XEPs both ways in a MUC (Prosody + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const room = `xeps${suffix}@${MUC_HOST}`;
  const connector = new XmppConnector();
  const scope = xmppScope();
  let matt: TestUser;
  let carol: XmppUser;
  let roomId: string;
  const mattNick = `Matt ${suffix}`;
  let mattOccupant: string;
  const carolGhost = ghostOf(`${room}/Carol`);

  const events = () => roomEvents(matt, roomId);
  const find = (what: string, match: (e: RoomEvent) => boolean) =>
    waitFor(async () => (await events()).find(match), 20_000, what);
  const fromCarol = (body: string) =>
    find(`"${body}" from Carol`, (e) => e.sender === carolGhost && e.content.body === body);
  /** A message Carol got, from the room (her own reflected, or Matt's). */
  const carolGot = (what: string, match: (el: Element) => boolean) =>
    carol.expect((el) => el.name === 'message' && match(el), what);
  const stanzaIdOf = (el: Element) =>
    el.getChildren('stanza-id', NS.sid).find((s) => s.attrs.by === room)!.attrs.id!;
  /** Carol says something; answers the room's stanza-id of it (from her reflected copy). */
  const carolSays = async (body: string, id = `c${randomBytes(4).toString('hex')}`) => {
    await carol.send(xml('message', { type: 'groupchat', to: room, id }, xml('body', {}, body)));
    const reflected = await carolGot(`"${body}" reflected`, (el) => el.attrs.id === id);
    const event = await fromCarol(body);
    return { id, stanzaId: stanzaIdOf(reflected), event };
  };
  /** Matt says something; answers his event and Carol's copy of it. */
  const mattSays = async (body: string) => {
    const eventId = await sendText(matt, roomId, body);
    const el = await carolGot(
      `"${body}" on XMPP`,
      (e) => e.attrs.from === mattOccupant && e.getChildText('body') === body,
    );
    return { eventId, el, stanzaId: stanzaIdOf(el) };
  };
  const relates = (e: RoomEvent) =>
    e.content['m.relates_to'] as { rel_type?: string; event_id?: string; key?: string } | undefined;

  beforeAll(async () => {
    requireSynapse();
    carol = await scope.user('carol', 'xeps');
    await joinMuc(carol, room, 'Carol');
    await scope.bridge(connector);
    matt = await matrixUser('matt', mattNick);
    roomId = await enterMuc(matt, room, mattNick, carol);
    mattOccupant = `${room}/${mattNick}`;
  });

  it('XEP-0308 corrections ↔ edits', async () => {
    const first = await carolSays('teh typo');
    await carol.send(
      xml(
        'message',
        { type: 'groupchat', to: room, id: 'fix1' },
        xml('body', {}, 'the typo'),
        xml('replace', { xmlns: NS.correct, id: first.id }),
      ),
    );
    const edit = await find('the edit in Matrix', (e) => relates(e)?.rel_type === 'm.replace');
    expect(relates(edit)?.event_id).toBe(first.event.event_id);
    expect((edit.content['m.new_content'] as { body: string }).body).toBe('the typo');

    const mine = await mattSays('helo');
    await sendAs(matt, roomId, {
      msgtype: 'm.text',
      body: '* hello',
      'm.new_content': { msgtype: 'm.text', body: 'hello' },
      'm.relates_to': { rel_type: 'm.replace', event_id: mine.eventId },
    });
    const fix = await carolGot(
      'the correction on XMPP',
      (el) => el.getChildText('body') === 'hello',
    );
    expect(fix.getChild('replace', NS.correct)?.attrs.id).toBe(mine.el.attrs.id);
    expect(fix.attrs.from).toBe(mattOccupant);
  });

  it('XEP-0424 retractions ↔ redactions', async () => {
    const said = await carolSays('delete me');
    await carol.send(
      xml(
        'message',
        { type: 'groupchat', to: room, id: 'ret1' },
        xml('retract', { xmlns: NS.retract, id: said.stanzaId }),
      ),
    );
    await waitFor(
      async () =>
        (await events()).find((e) => e.event_id === said.event.event_id)?.unsigned
          ?.redacted_because,
      20_000,
      "Carol's message redacted",
    );

    const mine = await mattSays('oops');
    await asUser(
      matt,
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/redact/${encodeURIComponent(mine.eventId)}/r${suffix}`,
      {},
    );
    const retract = await carolGot(
      'the retraction on XMPP',
      (el) => el.attrs.from === mattOccupant && !!el.getChild('retract', NS.retract),
    );
    expect(retract.getChild('retract', NS.retract)?.attrs.id).toBe(mine.stanzaId);
    expect(retract.attrs.from).toBe(mattOccupant);
  });

  it('XEP-0444 reactions ↔ reactions, a whole set per user', async () => {
    const mine = await mattSays('react to me');
    const react = (...keys: string[]) =>
      carol.send(
        xml(
          'message',
          { type: 'groupchat', to: room, id: `re${randomBytes(3).toString('hex')}` },
          xml(
            'reactions',
            { xmlns: NS.reactions, id: mine.stanzaId },
            ...keys.map((k) => xml('reaction', {}, k)),
          ),
        ),
      );
    await react('👍', '🎉');
    const reactions = async () =>
      (await events()).filter(
        (e) =>
          e.type === 'm.reaction' &&
          e.sender === carolGhost &&
          relates(e)?.event_id === mine.eventId &&
          !e.unsigned?.redacted_because,
      );
    await waitFor(async () => (await reactions()).length === 2, 20_000, 'two reactions');
    expect((await reactions()).map((e) => relates(e)?.key).sort()).toEqual(['🎉', '👍'].sort());
    await react('🎉');
    await waitFor(
      async () => (await reactions()).map((e) => relates(e)?.key).join() === '🎉',
      20_000,
      '👍 taken back',
    );

    const theirs = await carolSays('react to carol');
    const reaction = await sendAs(
      matt,
      roomId,
      { 'm.relates_to': { rel_type: 'm.annotation', event_id: theirs.event.event_id, key: '❤️' } },
      'm.reaction',
    );
    const set = (el: Element) =>
      el
        .getChild('reactions', NS.reactions)
        ?.getChildren('reaction')
        .map((r) => r.getText());
    const first = await carolGot(
      'the reaction on XMPP',
      (el) => el.attrs.from === mattOccupant && !!el.getChild('reactions', NS.reactions),
    );
    expect(first.getChild('reactions', NS.reactions)?.attrs.id).toBe(theirs.stanzaId);
    expect(set(first)).toEqual(['❤️']);
    await sendAs(
      matt,
      roomId,
      { 'm.relates_to': { rel_type: 'm.annotation', event_id: theirs.event.event_id, key: '👀' } },
      'm.reaction',
    );
    await carolGot('both reactions', (el) => set(el)?.join() === '❤️,👀');
    await asUser(
      matt,
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/redact/${encodeURIComponent(reaction)}/u${suffix}`,
      {},
    );
    await carolGot('❤️ taken back', (el) => set(el)?.join() === '👀');
  });

  it('XEP-0461 replies ↔ replies', async () => {
    const mine = await mattSays('question?');
    await carol.send(
      xml(
        'message',
        { type: 'groupchat', to: room, id: 'rep1' },
        xml('body', {}, 'answer!'),
        xml('reply', { xmlns: NS.reply, id: mine.stanzaId, to: mattOccupant }),
      ),
    );
    const answer = await fromCarol('answer!');
    expect(replyTarget(answer)).toBe(mine.eventId);

    const theirs = await carolSays('carol asks');
    await sendAs(matt, roomId, {
      msgtype: 'm.text',
      body: 'matt answers',
      'm.relates_to': { 'm.in_reply_to': { event_id: theirs.event.event_id } },
    });
    const reply = await carolGot(
      'the reply on XMPP',
      (el) => !!el.getChildText('body')?.endsWith('matt answers'),
    );
    expect(reply.getChild('reply', NS.reply)?.attrs.id).toBe(theirs.stanzaId);
    // A quote for clients without XEP-0461, marked as its fallback (XEP-0428) for the others.
    const quote = '> Carol: carol asks\n';
    expect(reply.getChildText('body')).toBe(`${quote}matt answers`);
    const fallback = reply.getChild('fallback', 'urn:xmpp:fallback:0')?.getChild('body');
    expect(fallback?.attrs).toMatchObject({ start: '0', end: String([...quote].length) });
  });

  it('a file without public_links is refused to the sender with the reason', async () => {
    const { hsUrl } = requireSynapse();
    const res = await fetch(`${hsUrl}/_matrix/media/v3/upload?filename=a.txt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${matt.accessToken}`, 'content-type': 'text/plain' },
      body: new TextEncoder().encode('hi'),
    });
    const { content_uri: url } = (await res.json()) as { content_uri: string };
    const file = await sendAs(matt, roomId, { msgtype: 'm.file', body: 'a.txt', url });
    const notice = await find(
      'the refusal',
      (e) => e.content.msgtype === 'm.notice' && replyTarget(e) === file,
    );
    expect(String(notice.content.body)).toContain('no public_links');
  });

  it('XEP-0085 chat states ↔ typing', async () => {
    await asUser(
      matt,
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(matt.userId)}`,
      { typing: true, timeout: 30_000 },
    );
    await carolGot(
      'composing on XMPP',
      (el) => el.attrs.from === mattOccupant && !!el.getChild('composing', NS.chatStates),
    );
    type Sync = {
      next_batch: string;
      rooms?: {
        join?: Record<
          string,
          { ephemeral?: { events?: { type: string; content: { user_ids?: string[] } }[] } }
        >;
      };
    };
    let since = (await asUser<Sync>(matt, 'GET', '/_matrix/client/v3/sync?timeout=0')).next_batch;
    await carol.send(
      xml('message', { type: 'groupchat', to: room }, xml('composing', { xmlns: NS.chatStates })),
    );
    await waitFor(
      async () => {
        const sync = await asUser<Sync>(
          matt,
          'GET',
          `/_matrix/client/v3/sync?timeout=2000&since=${encodeURIComponent(since)}`,
        );
        since = sync.next_batch;
        const typing = sync.rooms?.join?.[roomId]?.ephemeral?.events?.filter(
          (e) => e.type === 'm.typing',
        );
        return typing?.some((e) => e.content.user_ids?.includes(carolGhost));
      },
      20_000,
      'Carol typing in Matrix',
    );
  });
});
