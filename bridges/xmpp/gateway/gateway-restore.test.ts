import { xml, type Element } from '@xmpp/xml';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { MatrixRoomView } from '../../../src/connector.js';
import type { XmppDeps } from '../deps.js';
import type { ReactionSets } from '../messages/reactions.js';
import { Gateway } from './gateway.js';

const ALIAS = '#lobby:hs.test';
const ROOM_JID = '#lobby#hs.test@matrix.hs.test';
const alice = {
  full: 'alice@xmpp.test/phone',
  bare: 'alice@xmpp.test',
  nick: 'Alice',
  roomJid: ROOM_JID,
};
const view: MatrixRoomView = {
  roomId: '!lobby:hs.test' as MatrixRoomView['roomId'],
  joinRule: 'public',
  members: [{ userId: '@olga:hs.test' as MatrixRoomView['members'][0]['userId'], powerLevel: 0 }],
};

/** A gateway whose first Matrix lookups fail (a homeserver too busy at the bridge's start). */
function gateway(failures: number) {
  const sent: Element[] = [];
  let lookups = 0;
  const d = {
    ctx: {
      config: { domain: 'matrix.hs.test', gateway: { enabled: true, max_shown_members: 2 } },
      domain: 'hs.test',
      log: pino({ level: 'silent' }),
      portalAlias: (local: string) => `#xmpp_${local}:hs.test`,
      kv: { get: async () => [alice], set: async () => undefined },
      matrixRoom: async () => {
        if (lookups++ < failures) throw new Error('the homeserver timed out');
        return view;
      },
      ensurePortal: async () => undefined,
      portals: async () => [],
      ghostRemoteId: () => undefined,
    },
    link: { send: async (el: Element) => void sent.push(el) },
  } as unknown as XmppDeps;
  return { gw: new Gateway(d, {} as ReactionSets), sent, lookups: () => lookups };
}

const fromOlga = () =>
  xml(
    'message',
    { type: 'groupchat', from: `${ROOM_JID}/Olga`, to: ROOM_JID, id: 'e1' },
    xml('body', {}, 'hello'),
  );

describe('gateway sessions kept across a restart', () => {
  it('reach the room’s XMPP users even when the room could not be looked up at start', async () => {
    const { gw, sent, lookups } = gateway(1);
    await expect(gw.linked(ALIAS)).rejects.toThrow('timed out');
    await gw.send(fromOlga(), ALIAS);
    expect(lookups()).toBe(2);
    expect(sent.map((el) => [el.attrs.to, el.getChildText('body')])).toEqual([
      [alice.full, 'hello'],
    ]);
  });

  it('are restored at start when the lookup works, without a second one', async () => {
    const { gw, sent, lookups } = gateway(0);
    await gw.linked(ALIAS);
    await gw.send(fromOlga(), ALIAS);
    expect(lookups()).toBe(1);
    expect(sent.map((el) => el.attrs.to)).toEqual([alice.full]);
  });
});
