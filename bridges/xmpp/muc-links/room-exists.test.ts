import { xml, type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { xmppConfigSchema } from '../config.js';
import { IqError } from '../connection/iq.js';
import { missingRoomRefusal } from './room-exists.js';

const ROOM = 'dev@conference.example.org';

/** A component link whose disco#info question gets `answer` (an element, or thrown). */
function linkAnswering(answer: () => Element) {
  const asked: Element[] = [];
  const link = {
    domain: 'matrix.example.org',
    request: async (el: Element) => (asked.push(el), answer()),
  };
  return { link, asked };
}

const info = (...identities: Record<string, string>[]) =>
  xml(
    'iq',
    { type: 'result' },
    xml(
      'query',
      { xmlns: 'http://jabber.org/protocol/disco#info' },
      ...identities.map((i) => xml('identity', i)),
    ),
  );

describe('a MUC asked whether it exists before it is linked (XEP-0045 §6.4)', () => {
  it('links a room that answers as a conference, asked from the component', async () => {
    const { link, asked } = linkAnswering(() => info({ category: 'conference', type: 'text' }));
    expect(await missingRoomRefusal(link, ROOM, false)).toBeUndefined();
    expect(asked[0]?.attrs).toMatchObject({ type: 'get', to: ROOM, from: 'matrix.example.org' });
  });

  it('refuses a room that does not exist, naming it and the config key', async () => {
    const { link } = linkAnswering(() => {
      throw new IqError('item-not-found', 'cancel', undefined);
    });
    expect(await missingRoomRefusal(link, ROOM, false)).toBe(
      `The XMPP room ${ROOM} does not exist, and this bridge does not create rooms (bridges.xmpp.create_rooms is off): create it on XMPP first, or ask the bridge's admin to turn create_rooms on.`,
    );
  });

  it('refuses an address that is not a room', async () => {
    const { link } = linkAnswering(() => info({ category: 'account', type: 'registered' }));
    expect(await missingRoomRefusal(link, ROOM, false)).toMatch(/is not an XMPP group chat/);
  });

  it('reads no other answer as "exists" or "missing": refused with the reason', async () => {
    for (const err of [
      new Error('no answer to the iq x within 10000 ms'),
      new IqError('remote-server-not-found', 'cancel', undefined),
    ]) {
      const { link } = linkAnswering(() => {
        throw err;
      });
      expect(await missingRoomRefusal(link, ROOM, false)).toBe(
        `could not check whether the XMPP room ${ROOM} exists (${err.message}): nothing was linked, try again later.`,
      );
    }
  });

  it('asks nothing where the admin lets rooms be made (off by default)', async () => {
    const { link, asked } = linkAnswering(() => {
      throw new IqError('item-not-found', 'cancel', undefined);
    });
    expect(await missingRoomRefusal(link, ROOM, true)).toBeUndefined();
    expect(asked).toEqual([]);
    const parsed = xmppConfigSchema.parse({ domain: 'matrix.example.org', secret: 's' });
    expect(parsed.create_rooms).toBe(false);
  });
});
