// One Matrix room entered by its alias and by its room id is one gateway room: one portal, the
// same occupants; after a restart, a session that entered by the other address still speaks.
import { xml, type Element } from '@xmpp/xml';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { MatrixRoomView, PortalRecord, RemoteEvent } from '../../../src/connector.js';
import { KeyedChain } from '../util/chain.js';
import { parseMessage } from '../connection/stanzas.js';
import type { XmppDeps } from '../deps.js';
import type { ReactionSets } from '../messages/reactions.js';
import { parseRef, type ReflectRef } from '../messages/outcomes.js';
import { Gateway } from './gateway.js';

const C = 'matrix.hs.test';
const BY_ALIAS = `#lobby#hs.test@${C}`;
const BY_ID = `!^lobby#hs.test@${C}`; // `!Lobby:hs.test`
const view: MatrixRoomView = {
  roomId: '!Lobby:hs.test' as MatrixRoomView['roomId'],
  joinRule: 'public',
  members: [],
};

/** A bridge's store and portals, kept across its restart. */
function homeserver() {
  const kv = new Map<string, unknown>();
  const portals: PortalRecord[] = [];
  const emitted: RemoteEvent[] = [];
  const refs: string[] = [];
  const start = () => {
    const sent: Element[] = [];
    const chain = new KeyedChain();
    const d = {
      ctx: {
        config: { domain: C, gateway: { enabled: true, max_shown_members: 2 } },
        domain: 'hs.test',
        log: pino({ level: 'silent' }),
        portalAlias: (local: string) => `#xmpp_${local}:hs.test`,
        kv: {
          get: async (k: string) => kv.get(k),
          set: async (k: string, v: unknown) => void kv.set(k, v),
        },
        matrixRoom: async (target: string) =>
          target === '#lobby:hs.test' || target === view.roomId ? view : undefined,
        portals: async () => portals,
        ensurePortal: async (p: PortalRecord) => {
          if (!portals.some((q) => q.key === p.key)) portals.push(p);
          return p;
        },
        setGhostProfile: async () => undefined,
        ghostRemoteId: () => undefined,
      },
      chain,
      emit: async (e: RemoteEvent, ref?: string) => {
        emitted.push(e);
        if (ref) refs.push(ref);
      },
      post: (e: RemoteEvent) => void emitted.push(e),
      link: { send: async (el: Element) => void sent.push(el), domain: C },
    } as unknown as XmppDeps;
    return { gw: new Gateway(d, {} as ReactionSets), sent, chain };
  };
  return { start, portals, emitted, refs };
}

const enter = (room: string, full: string) =>
  xml('presence', { from: full, to: `${room}/${full.split('@')[0]}` });

describe('a gateway room by alias and by room id', () => {
  it('is one room: one portal, each session sees the other', async () => {
    const hs = homeserver();
    const { gw, sent, chain } = hs.start();
    gw.onPresence(enter(BY_ALIAS, 'alice@x.test/a'), gw.targetOf(BY_ALIAS)!);
    await chain.idle();
    gw.onPresence(enter(BY_ID, 'bob@x.test/b'), gw.targetOf(BY_ID)!);
    await chain.idle();
    expect(hs.portals.map((p) => p.key)).toEqual(['gw/#lobby:hs.test']);
    // Each is told of the other, at the address they entered by.
    expect(
      sent.some((el) => el.attrs.to === 'bob@x.test/b' && el.attrs.from === `${BY_ID}/alice`),
    ).toBe(true);
    expect(
      sent.some((el) => el.attrs.to === 'alice@x.test/a' && el.attrs.from === `${BY_ALIAS}/bob`),
    ).toBe(true);
  });

  it('after a restart, a session that entered by the room id still speaks', async () => {
    const hs = homeserver();
    const first = hs.start();
    first.gw.onPresence(enter(BY_ALIAS, 'alice@x.test/a'), '#lobby:hs.test');
    await first.chain.idle();
    first.gw.onPresence(enter(BY_ID, 'bob@x.test/b'), view.roomId);
    await first.chain.idle();
    const { gw, sent, chain } = hs.start();
    await gw.linked('#lobby:hs.test');
    const message = xml(
      'message',
      { type: 'groupchat', from: 'bob@x.test/b', to: BY_ID, id: 'm1' },
      xml('body', {}, 'still here'),
    );
    gw.onMessage(message, parseMessage(message), view.roomId);
    await chain.idle();
    expect(hs.emitted.some((e) => e.kind === 'message' && e.portal === 'gw/#lobby:hs.test')).toBe(
      true,
    );
    // Matrix took it: the room reflects it to both.
    await gw.reflectSettled(parseRef(hs.refs.at(-1)!) as ReflectRef, { delivered: true });
    expect(sent.map((el) => el.attrs.to).sort()).toEqual(['alice@x.test/a', 'bob@x.test/b']);
  });
});
