import { xml } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import type { PortalKey, RemoteEvent, RemoteUserId } from '../../../src/connector.js';
import { KeyedChain } from '../util/chain.js';
import type { XmppDeps } from '../deps.js';
import { AccountPresence, sessionOf } from './account-presence.js';
import { GhostAvatars } from './ghost-avatars.js';

const ann = {
  ghost: 'ann@x.org' as RemoteUserId,
  portal: 'gw/!lobby:hs.test' as PortalKey,
  from: 'matrix.hs.test',
  to: 'ann@x.org',
};

/** Ann's presence events as core gets them, through the real GhostAvatars. */
function setUp() {
  const events: RemoteEvent[] = [];
  const d = {
    ctx: { config: { avatars: { enabled: true } }, log: { debug: () => {} } },
    chain: new KeyedChain(),
    emit: async (e: RemoteEvent) => void events.push(e),
  } as unknown as XmppDeps;
  d.avatars = new GhostAvatars(d);
  const accounts = new AccountPresence(d);
  const settled = async () =>
    d.chain.run(
      ann.portal,
      async () => {},
      () => {},
    );
  const shown = async () => {
    await settled();
    return events.map((e) => (e.kind === 'presence' ? [e.presence, e.status] : [e.kind]));
  };
  return { accounts, shown };
}

const presence = (...children: [string, string][]) =>
  sessionOf(xml('presence', {}, ...children.map(([name, text]) => xml(name, {}, text))));

describe("an XMPP account's presence over its sessions", () => {
  it('reads <show> and <status>: away, xa and dnd are unavailable; chat and none online', () => {
    expect(presence(['show', 'away'], ['status', ' lunch '])).toEqual({
      presence: 'unavailable',
      status: 'lunch',
    });
    expect(presence(['show', 'dnd'])).toEqual({ presence: 'unavailable' });
    expect(presence(['show', 'xa'])).toEqual({ presence: 'unavailable' });
    expect(presence(['show', 'chat'])).toEqual({ presence: 'online' });
    expect(presence()).toEqual({ presence: 'online' });
  });

  it('is set on the ghost only when it changes: a repeated presence costs nothing', async () => {
    const { accounts, shown } = setUp();
    accounts.heard(ann, 'gw/room/ann@x.org/phone', presence(['show', 'away'], ['status', 'out']));
    accounts.heard(ann, 'gw/room/ann@x.org/phone', presence(['show', 'away'], ['status', 'out']));
    accounts.heard(ann, 'gw/room/ann@x.org/phone', presence(['show', 'xa'], ['status', 'out']));
    expect(await shown()).toEqual([['unavailable', 'out']]);
    accounts.heard(ann, 'gw/room/ann@x.org/phone', presence());
    expect(await shown()).toEqual([
      ['unavailable', 'out'],
      ['online', undefined],
    ]);
  });

  it('the most available session counts, a contact’s and a gateway one alike; offline when none is left', async () => {
    const { accounts, shown } = setUp();
    accounts.heard(ann, 'contact/laptop', presence());
    accounts.heard(ann, 'gw/room/ann@x.org/phone', presence(['show', 'dnd']));
    expect(await shown()).toEqual([['online', undefined]]);
    accounts.heard(ann, 'contact/laptop', undefined);
    expect((await shown()).at(-1)).toEqual(['unavailable', undefined]);
    accounts.heard(ann, 'gw/room/ann@x.org/phone', undefined);
    expect((await shown()).at(-1)).toEqual(['offline', undefined]);
  });
});
