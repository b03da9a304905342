// A gateway room reflects an XMPP user's message once Matrix took it (reflections.ts): nothing
// before, every session then, with the stanza-id its event got; a refusal reaches the sender only,
// as an error; the ref alone does it after a restart; a message of several events is reflected once.
import { xml, type Element } from '@xmpp/xml';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { EmitOutcome, MatrixRoomView, RemoteEvent } from '../../../src/connector.js';
import { KeyedChain } from '../util/chain.js';
import { parseMessage } from '../connection/stanzas.js';
import type { XmppDeps } from '../deps.js';
import { ReactionSets } from '../messages/reactions.js';
import { parseRef, type ReflectRef } from '../messages/outcomes.js';
import { Gateway } from './gateway.js';

const ALIAS = '#lobby:hs.test';
const ROOM_JID = '#lobby#hs.test@matrix.hs.test';
const occupant = (bare: string, nick: string) => ({
  full: `${bare}/phone`,
  bare,
  nick,
  roomJid: ROOM_JID,
});
const alice = occupant('alice@xmpp.test', 'Alice');
const bob = occupant('bob@xmpp.test', 'Bob');
const view: MatrixRoomView = {
  roomId: '!lobby:hs.test' as MatrixRoomView['roomId'],
  joinRule: 'public',
  members: [],
};
const refused: EmitOutcome = { delivered: false, errcode: 'M_FORBIDDEN', reason: 'muted' };

/** A gateway whose room has Alice and Bob in it (restored from the store, as after a restart). */
async function gateway() {
  const sent: Element[] = [];
  const emitted: { event: RemoteEvent; ref?: string }[] = [];
  const kv = new Map<string, unknown>([[`gw/${ALIAS}/occupants`, [alice, bob]]]);
  const d = {
    ctx: {
      config: { domain: 'matrix.hs.test', gateway: { enabled: true, max_shown_members: 2 } },
      domain: 'hs.test',
      log: pino({ level: 'silent' }),
      portalAlias: (local: string) => `#xmpp_${local}:hs.test`,
      kv: {
        get: async (k: string) => kv.get(k),
        set: async (k: string, v: unknown) => void kv.set(k, v),
      },
      matrixRoom: async () => view,
      ensurePortal: async () => undefined,
      portals: async () => [],
      ghostRemoteId: () => undefined,
    },
    link: { send: async (el: Element) => void sent.push(el) },
    chain: new KeyedChain(),
    emit: async (event: RemoteEvent, ref?: string) => void emitted.push({ event, ref }),
  } as unknown as XmppDeps;
  const gw = new Gateway(d, new ReactionSets(d.ctx.kv));
  await gw.linked(ALIAS);
  /** Alice sends `el` to the room; the events it became. */
  const says = async (el: Element) => {
    gw.onMessage(el, parseMessage(el), ALIAS);
    await d.chain.idle();
    return emitted.splice(0);
  };
  return { gw, sent, says };
}

const fromAlice = (id: string, ...children: Element[]) =>
  xml('message', { type: 'groupchat', from: alice.full, to: ROOM_JID, id }, ...children);
const refOf = (raw: string | undefined) => parseRef(raw ?? '') as ReflectRef;
const stanzaIds = (sent: Element[]) =>
  sent.map((el) => [el.attrs.to, el.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.id]);

describe('a gateway room’s reflections', () => {
  it('go to every session once Matrix took the message, with the id its event has', async () => {
    const { gw, sent, says } = await gateway();
    const [emitted, ...more] = await says(fromAlice('a1', xml('body', {}, 'hello')));
    expect(more).toEqual([]);
    expect(sent).toEqual([]);
    const ref = refOf(emitted!.ref);
    await gw.reflectSettled(ref, { delivered: true });
    const id = (emitted!.event as { id: string }).id;
    expect(stanzaIds(sent)).toEqual([
      [alice.full, id],
      [bob.full, id],
    ]);
    expect(sent.map((el) => [el.attrs.from, el.attrs.id, el.getChildText('body')])).toEqual([
      [`${ROOM_JID}/Alice`, 'a1', 'hello'],
      [`${ROOM_JID}/Alice`, 'a1', 'hello'],
    ]);
  });

  it('reach nobody when Matrix refused the message: its sender gets the error', async () => {
    const { gw, sent, says } = await gateway();
    const [emitted] = await says(fromAlice('a2', xml('body', {}, 'not allowed')));
    await gw.reflectSettled(refOf(emitted!.ref), refused);
    expect(sent.map((el) => [el.attrs.type, el.attrs.to, el.attrs.from, el.attrs.id])).toEqual([
      ['error', alice.full, ROOM_JID, 'a2'],
    ]);
  });

  it('go out from the ref alone after a restart, from the sender’s nick now', async () => {
    const [emitted] = await (await gateway()).says(fromAlice('a3', xml('body', {}, 'late')));
    const ref = refOf(JSON.stringify(refOf(emitted!.ref))); // as the store gives it back
    const { gw, sent } = await gateway(); // another bridge process
    await gw.reflectSettled({ ...ref, nick: 'Alicia' }, { delivered: true });
    expect(sent.map((el) => [el.attrs.to, el.attrs.from, el.getChildText('body')])).toEqual([
      [alice.full, `${ROOM_JID}/Alice`, 'late'],
      [bob.full, `${ROOM_JID}/Alice`, 'late'],
    ]);
  });

  it('come once for a message of several events, when its last one settles', async () => {
    const { gw, sent, says } = await gateway();
    const reactions = xml(
      'reactions',
      { xmlns: 'urn:xmpp:reactions:0', id: 'm1' },
      xml('reaction', {}, '👍'),
      xml('reaction', {}, '🎉'),
    );
    const events = await says(fromAlice('a4', reactions));
    expect(events.map((e) => [e.event.kind, e.ref !== undefined])).toEqual([
      ['reaction', false],
      ['reaction', true],
    ]);
    await gw.reflectSettled(refOf(events[1]!.ref), { delivered: true });
    expect(sent.map((el) => el.attrs.to)).toEqual([alice.full, bob.full]);
    expect(sent[0]!.getChild('reactions')?.getChildren('reaction').length).toBe(2);
  });
});
