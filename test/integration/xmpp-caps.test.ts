// XEP-0115 entity capabilities of Matrix users' addresses, against real Prosody and Synapse: a
// Matrix user's presence to a contact carries a `c` element whose `ver` hashes what their address
// answers on `node#ver`, and because it includes `urn:xmpp:avatar:metadata+notify`, the contact's
// server (Prosody's mod_pep) sends the Matrix user's address the contact's XEP-0084 avatar when
// they publish one: it becomes their ghost's avatar, with no vCard and no presence hash telling it.
import { randomBytes } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { asUser } from '../support/bridge-harness.js';
import { requireSynapse, waitFor, type TestUser } from '../support/synapse.js';
import { joinDmRoom, matrixUser, said, xmppScope } from '../support/xmpp-scope.js';
import { publishPepAvatar, sha1 } from '../support/xmpp-pep.js';
import { chat, ghostOf, matrixJid, type XmppUser } from '../support/xmpp-user.js';

const NS = {
  roster: 'jabber:iq:roster',
  caps: 'http://jabber.org/protocol/caps',
  discoInfo: 'http://jabber.org/protocol/disco#info',
  pubsubOwner: 'http://jabber.org/protocol/pubsub#owner',
  data: 'urn:xmpp:avatar:data',
  metadata: 'urn:xmpp:avatar:metadata',
};

/** A 1×1 PNG with random bytes after its end (its own image). */
const png = Buffer.concat([
  Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
    'base64',
  ),
  randomBytes(8),
]);

const presenceFrom = (from: string, type?: string) => (el: Element) =>
  el.name === 'presence' && el.attrs.from === from && el.attrs.type === type;

describe('XMPP: entity capabilities of Matrix users (Prosody + Synapse)', () => {
  const scope = xmppScope();
  const connector = new XmppConnector();
  let erin: XmppUser;
  let matt: TestUser;
  let mattJid: string;

  const ask = async (el: Element, what: string) => {
    const answer = await erin.client.iqCaller.request(el).catch((err: Error) => {
      throw new Error(`${what}: ${err.message}`);
    });
    return answer;
  };
  beforeAll(async () => {
    requireSynapse();
    erin = await scope.user('erin', 'caps');
    await erin.send(xml('iq', { type: 'get', id: 'c0' }, xml('query', { xmlns: NS.roster })));
    await erin.expect((el) => el.attrs.id === 'c0', 'the roster');
    await scope.bridge(connector);
    matt = await matrixUser('matt');
    mattJid = matrixJid(matt.userId);
  });

  afterAll(async () => {
    // The test users are shared by every file: Matt leaves Erin's roster, her avatar goes.
    const item = xml('item', { jid: mattJid, subscription: 'remove' });
    await erin?.send(xml('iq', { type: 'set' }, xml('query', { xmlns: NS.roster }, item)));
    for (const node of [NS.metadata, NS.data])
      await erin
        ?.send(
          xml(
            'iq',
            { type: 'set' },
            xml('pubsub', { xmlns: NS.pubsubOwner }, xml('delete', { node })),
          ),
        )
        .catch(() => undefined);
  });

  it("a Matrix user's presence carries caps, answered on node#ver", async () => {
    await erin.send(xml('presence', { type: 'subscribe', to: mattJid }));
    const presence = await erin.expect(presenceFrom(`${mattJid}/matrix`), 'their presence');
    const c = presence.getChild('c', NS.caps);
    expect(c?.attrs.hash).toBe('sha-1');
    const node = `${c?.attrs.node}#${c?.attrs.ver}`;
    const info = await ask(
      xml(
        'iq',
        { type: 'get', to: `${mattJid}/matrix` },
        xml('query', { xmlns: NS.discoInfo, node }),
      ),
      'disco#info on node#ver',
    );
    const query = info.getChild('query', NS.discoInfo)!;
    expect(query.attrs.node).toBe(node);
    const features = query.getChildren('feature').map((f) => f.attrs.var);
    expect(features).toContain(`${NS.metadata}+notify`);
  });

  it("a contact's XEP-0084 avatar reaches the Matrix user's address: their ghost's avatar", async () => {
    // Erin approves Matt in turn (her server then shares her PEP with his address) and writes.
    await erin.expect(presenceFrom(mattJid, 'subscribe'), 'the request back');
    await erin.send(xml('presence', { type: 'subscribed', to: mattJid }));
    await erin.send(chat(erin.jid, mattJid, 'hello, no avatar yet'));
    const dm = await joinDmRoom(connector, 'erin@localhost', matt);
    const ghost = ghostOf('erin@localhost');
    await said(matt, dm, ghost, 'hello, no avatar yet');
    // Matt's next presence reaches a server that now shares Erin's PEP with him.
    const path = `/_matrix/client/v3/presence/${encodeURIComponent(matt.userId)}/status`;
    await asUser(matt, 'PUT', path, { presence: 'unavailable' });
    await erin.expect(
      (el) => presenceFrom(`${mattJid}/matrix`)(el) && el.getChildText('show') === 'away',
      'Matt away',
    );
    const id = await publishPepAvatar(erin, png, { metadata: true });
    // Erin is this file's own user (no other file changes her avatar); her image, not any avatar.
    const avatarSha1 = async () => {
      const { avatar_url: mxc } = await asUser<{ avatar_url?: string }>(
        matt,
        'GET',
        `/_matrix/client/v3/profile/${encodeURIComponent(ghost)}`,
      );
      if (!mxc) return undefined;
      const res = await fetch(
        `${requireSynapse().hsUrl}/_matrix/client/v1/media/download/${mxc.slice('mxc://'.length)}`,
        { headers: { authorization: `Bearer ${matt.accessToken}` } },
      );
      return sha1(Buffer.from(await res.arrayBuffer()));
    };
    await waitFor(async () => (await avatarSha1()) === id, 20_000, "Erin's ghost's avatar");
  });
});
