// Roster subscriptions to Matrix users' addresses (RFC 6121): an XMPP user who adds a Matrix user
// as a contact is approved at once and sees them available, again at their next login (the
// server's probe is answered); an address naming no Matrix user of the bridge is refused; when
// the bridge stops, the contact sees the Matrix user unavailable. The contact is asked back, and once
// they approve, their own presence (each of their sessions) is their ghost's.
import { xml } from '@xmpp/xml';
import type { Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { asUser } from '../support/bridge-harness.js';
import { requireSynapse, waitFor, type TestUser } from '../support/synapse.js';
import { joinDmRoom, matrixUser, xmppScope } from '../support/xmpp-scope.js';
import { chat, COMPONENT, ghostOf, matrixJid, type XmppUser } from '../support/xmpp-user.js';

const ROSTER = 'jabber:iq:roster';

const presenceFrom = (from: string, type?: string) => (el: Element) =>
  el.name === 'presence' && el.attrs.from === from && el.attrs.type === type;

describe('XMPP: roster subscriptions to Matrix users (Prosody + Synapse)', () => {
  const scope = xmppScope();
  let alice: XmppUser;
  let again: XmppUser;
  let matt: TestUser;
  let mattJid: string;
  const connector = new XmppConnector();
  let bridge: Awaited<ReturnType<typeof scope.bridge>>;

  beforeAll(async () => {
    requireSynapse();
    alice = await scope.user('alice', 'roster');
    // A session that asked for its roster is an "interested resource" (RFC 6121 §2.1.6): the
    // server tells it of subscription changes, as clients do.
    await alice.send(xml('iq', { type: 'get', id: 'r0' }, xml('query', { xmlns: ROSTER })));
    await alice.expect((el) => el.attrs.id === 'r0', 'the roster');
    bridge = await scope.bridge(connector);
    matt = await matrixUser('matt');
    mattJid = matrixJid(matt.userId);
  });

  afterAll(async () => {
    // The test users are shared by every file: the contact leaves alice's roster again.
    await alice
      ?.send(
        xml(
          'iq',
          { type: 'set', id: 'rm1' },
          xml('query', { xmlns: ROSTER }, xml('item', { jid: mattJid, subscription: 'remove' })),
        ),
      )
      .catch(() => undefined);
  });

  it('adding a Matrix user as a contact is approved, and they show as available', async () => {
    await alice.send(xml('presence', { type: 'subscribe', to: mattJid }));
    await alice.expect(presenceFrom(mattJid, 'subscribed'), 'the approval');
    await alice.expect(presenceFrom(`${mattJid}/matrix`), 'their presence');
    // Asked back: the contact's presence, for their ghost.
    await alice.expect(presenceFrom(mattJid, 'subscribe'), 'the request back');
    await alice.send(xml('iq', { type: 'get', id: 'r1' }, xml('query', { xmlns: ROSTER })));
    const roster = await alice.expect((el) => el.attrs.id === 'r1', 'the roster');
    const item = roster
      .getChild('query', ROSTER)
      ?.getChildren('item')
      .find((i) => i.attrs.jid === mattJid);
    expect(item?.attrs.subscription).toBe('to');
  });

  it("at the contact's next login the server's probe is answered", async () => {
    again = await scope.user('alice', 'roster-again');
    await again.expect(presenceFrom(`${mattJid}/matrix`), 'their presence at login');
  });

  it('an address that names no Matrix user of the bridge is refused', async () => {
    const nobody = `nobody\\3aelsewhere.org@${COMPONENT}`;
    await alice.send(xml('presence', { type: 'subscribe', to: nobody }));
    await alice.expect(presenceFrom(nobody, 'unsubscribed'), 'the refusal');
    expect(alice.heard.some(presenceFrom(`${nobody}/matrix`))).toBe(false);
  });

  it("once approved, the contact's own presence is their ghost's, the most available session's", async () => {
    await alice.send(xml('presence', { type: 'subscribed', to: mattJid }));
    // Their presence is set through their direct chat with Matt: it exists once they write.
    await alice.send(chat(alice.jid, mattJid, 'hello Matt'));
    await joinDmRoom(connector, 'alice@localhost', matt);
    const ghost = ghostOf('alice@localhost');
    const presence = async () =>
      (
        await asUser<{ presence: string; status_msg?: string }>(
          matt,
          'GET',
          `/_matrix/client/v3/presence/${encodeURIComponent(ghost)}/status`,
        )
      ).presence;
    const away = xml('presence', {}, xml('show', {}, 'away'), xml('status', {}, 'lunch'));
    await alice.send(away);
    await again.send(xml('presence', {}, xml('show', {}, 'xa')));
    await waitFor(async () => (await presence()) === 'unavailable', 20_000, 'the ghost away');
    await again.send(xml('presence', {}));
    await waitFor(async () => (await presence()) === 'online', 20_000, 'the ghost online');
  });

  it('when the bridge stops, contacts see their Matrix contacts unavailable', async () => {
    await bridge.stop();
    await alice.expect(
      presenceFrom(`${mattJid}/matrix`, 'unavailable'),
      'their unavailable presence',
    );
  });
});
