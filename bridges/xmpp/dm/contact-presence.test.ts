import { xml } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { AccountPresence } from '../avatars/account-presence.js';
import type { XmppDeps } from '../deps.js';
import { ContactPresence } from './contact-presence.js';

const MATT = 'matt\\3ahs.test@matrix.hs.test';

function setUp() {
  const set: { ghost: string; portal: string; presence: string; status?: string }[] = [];
  const told: string[] = [];
  const d = {
    ctx: { domain: 'hs.test' },
    link: { domain: 'matrix.hs.test' },
    avatars: {
      setPresence: (src: { ghost: string; portal: string }, presence: string, status?: string) =>
        set.push({ ghost: src.ghost, portal: src.portal, presence, ...(status ? { status } : {}) }),
      told: (_: unknown, hash: string) => told.push(hash),
    },
  } as unknown as XmppDeps;
  d.accounts = new AccountPresence(d);
  return { contacts: new ContactPresence(d), set, told };
}

const presence = (from: string, attrs: Record<string, string> = {}, ...children: string[][]) =>
  xml(
    'presence',
    { from, to: MATT, ...attrs },
    ...children.map(([name, text]) => xml(name!, {}, text)),
  );

describe('a contact’s own presence on their ghost', () => {
  it('is set on their ghost through their direct chat with the Matrix user', () => {
    const { contacts, set } = setUp();
    expect(
      contacts.onPresence(presence('ann@x.org/phone', {}, ['show', 'away'], ['status', 'out'])),
    ).toBe(true);
    expect(set.at(-1)).toEqual({
      ghost: 'ann@x.org',
      portal: 'dm/ann@x.org/@matt:hs.test',
      presence: 'unavailable',
      status: 'out',
    });
  });

  it('follows the most available of their sessions, offline when the last one leaves', () => {
    const { contacts, set } = setUp();
    contacts.onPresence(presence('ann@x.org/phone', {}, ['show', 'xa']));
    contacts.onPresence(presence('ann@x.org/laptop'));
    expect(set.at(-1)?.presence).toBe('online');
    contacts.onPresence(presence('ann@x.org/laptop', { type: 'unavailable' }));
    expect(set.at(-1)?.presence).toBe('unavailable');
    contacts.onPresence(presence('ann@x.org/phone', { type: 'unavailable' }));
    expect(set.at(-1)?.presence).toBe('offline');
  });

  it('passes on a MUC’s presences, subscriptions, errors and other Matrix servers’ users', () => {
    const { contacts, set } = setUp();
    const fromRoom = xml(
      'presence',
      { from: 'dev@conference.x.org/Ann', to: `${MATT}/matrix` },
      xml('x', { xmlns: 'http://jabber.org/protocol/muc#user' }),
    );
    expect(contacts.onPresence(fromRoom)).toBe(false);
    expect(contacts.onPresence(presence('ann@x.org', { type: 'subscribe' }))).toBe(false);
    expect(contacts.onPresence(presence('ann@x.org', { type: 'error' }))).toBe(false);
    const elsewhere = xml('presence', {
      from: 'ann@x.org/p',
      to: 'bob\\3aother.org@matrix.hs.test',
    });
    expect(contacts.onPresence(elsewhere)).toBe(true); // ours to answer, but no ghost is set
    expect(set).toHaveLength(0);
  });

  it('tells the avatar hash (XEP-0153) their presence carries', () => {
    const { contacts, told } = setUp();
    const hash = 'a'.repeat(40);
    contacts.onPresence(
      xml(
        'presence',
        { from: 'ann@x.org/phone', to: MATT },
        xml('x', { xmlns: 'vcard-temp:x:update' }, xml('photo', {}, hash)),
      ),
    );
    expect(told).toEqual([hash]);
  });
});
