// Avatars and presence both ways, against real Prosody and Synapse: an XMPP occupant's vCard
// photo (XEP-0153 hash in their MUC presence) and another's XEP-0084 image (their vCard has none:
// the PEP data item of the advertised id) become their ghosts' avatars; an oversized one is
// refused and the bridge goes on; their presence (online, away) is their ghosts'. A Matrix
// user's vCard (iq get to their address) has their display name and avatar, their occupant's
// presence carries the avatar's hash, and their Matrix presence (m.presence, which Synapse sends
// the appservice) is their occupant's and their contacts'.
import { randomBytes } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asUser } from '../support/bridge-harness.js';
import { requireSynapse, waitFor, type TestUser } from '../support/synapse.js';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { enterMuc, joinDmRoom, matrixUser, mucOf, said, xmppScope } from '../support/xmpp-scope.js';
import { publishPepAvatar, sha1 } from '../support/xmpp-pep.js';
import { chat, ghostOf, groupchat, matrixJid, type XmppUser } from '../support/xmpp-user.js';

/** A 1×1 PNG, with `extra` random bytes after its end (so each test's image is its own). */
const png = (extra = 8) =>
  Buffer.concat([
    Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
      'base64',
    ),
    randomBytes(extra),
  ]);

/** Sends an iq from `user` and waits for its answer. */
async function iq(user: XmppUser, el: Element, what: string): Promise<Element> {
  const id = `av${randomBytes(4).toString('hex')}`;
  el.attrs.id = id;
  await user.send(el);
  const answer = await user.expect((s) => s.name === 'iq' && s.attrs.id === id, what);
  if (answer.attrs.type !== 'result') throw new Error(`${what}: ${answer.toString()}`);
  return answer;
}

const setVcard = (user: XmppUser, name: string, photo?: Buffer) =>
  iq(
    user,
    xml(
      'iq',
      { type: 'set' },
      xml(
        'vCard',
        { xmlns: 'vcard-temp' },
        xml('FN', {}, name),
        photo
          ? xml(
              'PHOTO',
              {},
              xml('TYPE', {}, 'image/png'),
              xml('BINVAL', {}, photo.toString('base64')),
            )
          : null,
      ),
    ),
    `${user.jid}'s vCard set`,
  );

/** Joins the MUC as `nick` with the XEP-0153 hash of `photo` in the presence. */
async function joinWithPhoto(user: XmppUser, room: string, nick: string, photo: Buffer) {
  await user.send(
    xml(
      'presence',
      { to: `${room}/${nick}` },
      xml('x', { xmlns: 'http://jabber.org/protocol/muc' }, xml('history', { maxstanzas: '0' })),
      xml('x', { xmlns: 'vcard-temp:x:update' }, xml('photo', {}, sha1(photo))),
    ),
  );
  await user.expect(
    (el) =>
      el.name === 'presence' &&
      el.attrs.from === `${room}/${nick}` &&
      !!el
        .getChild('x', 'http://jabber.org/protocol/muc#user')
        ?.getChildren('status')
        .some((s) => s.attrs.code === '110'),
    `${nick} in ${room}`,
  );
}

const avatarOf = async (user: TestUser, userId: string) =>
  (
    await asUser<{ avatar_url?: string }>(
      user,
      'GET',
      `/_matrix/client/v3/profile/${encodeURIComponent(userId)}`,
    )
  ).avatar_url;

async function download(user: TestUser, mxc: string): Promise<Buffer> {
  const res = await fetch(
    `${requireSynapse().hsUrl}/_matrix/client/v1/media/download/${mxc.slice('mxc://'.length)}`,
    { headers: { authorization: `Bearer ${user.accessToken}` } },
  );
  if (!res.ok) throw new Error(`download ${mxc}: ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

const presenceOf = async (user: TestUser, userId: string) =>
  (
    await asUser<{ presence: string; status_msg?: string }>(
      user,
      'GET',
      `/_matrix/client/v3/presence/${encodeURIComponent(userId)}/status`,
    )
  ).presence;

describe('XMPP avatars and presence, both ways (Prosody + Synapse)', () => {
  const scope = xmppScope();
  const suffix = randomBytes(4).toString('hex');
  const room = mucOf(`avatars${suffix}`);
  const mattNick = `Matt ${suffix}`;
  const carolPng = png();
  const davePng = png();
  const bobPng = png(4_000); // over the bridge's avatars.max_bytes (2,000) below
  const mattPng = png();
  const alicePng = png();
  const connector = new XmppConnector();
  let carol: XmppUser;
  let dave: XmppUser;
  let bob: XmppUser;
  let alice: XmppUser;
  let matt: TestUser;
  let roomId: string;

  beforeAll(async () => {
    requireSynapse();
    carol = await scope.user('carol', `avatars${suffix}`);
    dave = await scope.user('dave', `avatars${suffix}`);
    bob = await scope.user('bob', `avatars${suffix}`);
    await setVcard(carol, 'Carol', carolPng);
    await setVcard(dave, 'Dave'); // no PHOTO: the image is in his PEP (XEP-0084) only
    await publishPepAvatar(dave, davePng, { metadata: false });
    await setVcard(bob, 'Bob', bobPng);
    await joinWithPhoto(carol, room, 'Carol', carolPng);
    await joinWithPhoto(dave, room, 'Dave', davePng);
    await scope.bridge(connector, { avatars: { max_bytes: 2_000 } });
    matt = await matrixUser('matt', mattNick);
    const { hsUrl } = requireSynapse();
    const up = await fetch(`${hsUrl}/_matrix/media/v3/upload?filename=matt.png`, {
      method: 'POST',
      headers: { authorization: `Bearer ${matt.accessToken}`, 'content-type': 'image/png' },
      body: mattPng,
    });
    const { content_uri } = (await up.json()) as { content_uri: string };
    await asUser(
      matt,
      'PUT',
      `/_matrix/client/v3/profile/${encodeURIComponent(matt.userId)}/avatar_url`,
      {
        avatar_url: content_uri,
      },
    );
    roomId = await enterMuc(matt, room, mattNick, carol);
  });

  afterAll(async () => {
    // The test users are shared by every file: their vCards go back to none, Matt leaves Carol's roster.
    for (const u of [carol, dave, bob, alice]) if (u) await setVcard(u, '').catch(() => undefined);
    const item = xml('item', { jid: matrixJid(matt.userId), subscription: 'remove' });
    await carol
      ?.send(
        xml('iq', { type: 'set', id: 'rm-av' }, xml('query', { xmlns: 'jabber:iq:roster' }, item)),
      )
      .catch(() => undefined);
  });

  it("an occupant's vCard photo (XEP-0153) is their ghost's avatar, and their presence too", async () => {
    const ghost = ghostOf(`${room}/Carol`);
    const mxc = await waitFor(() => avatarOf(matt, ghost), 20_000, "Carol's ghost's avatar");
    expect(sha1(await download(matt, mxc))).toBe(sha1(carolPng));
    await waitFor(
      async () => (await presenceOf(matt, ghost)) === 'online',
      20_000,
      "Carol's ghost online",
    );
    // Away, with the same photo: the ghost is away, and its avatar is the same upload.
    await carol.send(
      xml(
        'presence',
        { to: `${room}/Carol` },
        xml('show', {}, 'away'),
        xml('x', { xmlns: 'vcard-temp:x:update' }, xml('photo', {}, sha1(carolPng))),
      ),
    );
    await waitFor(
      async () => (await presenceOf(matt, ghost)) === 'unavailable',
      20_000,
      "Carol's ghost away",
    );
    expect(await avatarOf(matt, ghost)).toBe(mxc);
  });

  it('an occupant whose vCard has no photo: the XEP-0084 image of the advertised id', async () => {
    const mxc = await waitFor(
      () => avatarOf(matt, ghostOf(`${room}/Dave`)),
      20_000,
      "Dave's ghost's avatar",
    );
    expect(sha1(await download(matt, mxc))).toBe(sha1(davePng));
  });

  it('an avatar over avatars.max_bytes is refused, and the bridge goes on', async () => {
    await joinWithPhoto(bob, room, 'Bob', bobPng);
    await bob.send(groupchat(room, 'my avatar is too big'));
    const ghost = ghostOf(`${room}/Bob`);
    await said(matt, roomId, ghost, 'my avatar is too big');
    await new Promise((r) => setTimeout(r, 1_000)); // the refusal had time to happen
    expect(await avatarOf(matt, ghost)).toBeUndefined();
    await carol.send(groupchat(room, 'still bridged'));
    await said(matt, roomId, ghostOf(`${room}/Carol`), 'still bridged');
  });

  it("a Matrix user's vCard has their display name and avatar; their presence its hash", async () => {
    const answer = await iq(
      carol,
      xml('iq', { type: 'get', to: matrixJid(matt.userId) }, xml('vCard', { xmlns: 'vcard-temp' })),
      "Matt's vCard",
    );
    const vcard = answer.getChild('vCard', 'vcard-temp');
    expect(vcard?.getChildText('FN')).toBe(mattNick);
    const photo = vcard?.getChild('PHOTO');
    expect(photo?.getChildText('TYPE')).toBe('image/png');
    expect(sha1(Buffer.from(photo?.getChildText('BINVAL') ?? '', 'base64'))).toBe(sha1(mattPng));
    // XEP-0153: the occupant's presence in the MUC tells the avatar's hash.
    await carol.expect(
      (el) =>
        el.name === 'presence' &&
        el.attrs.from === `${room}/${mattNick}` &&
        el.getChild('x', 'vcard-temp:x:update')?.getChildText('photo') === sha1(mattPng),
      "Matt's avatar hash in his MUC presence",
    );
  });

  it("a Matrix user's presence is their occupant's in the MUC and their contacts'", async () => {
    const mattFull = `${matrixJid(matt.userId)}/matrix`;
    await carol.send(xml('presence', { type: 'subscribe', to: matrixJid(matt.userId) }));
    await carol.expect(
      (el) => el.name === 'presence' && el.attrs.from === mattFull && !el.attrs.type,
      'Matt available to his contact',
    );
    const heard = carol.heard.length;
    const away = (from: string) => (el: Element) =>
      carol.heard.indexOf(el) >= heard &&
      el.name === 'presence' &&
      el.attrs.from === from &&
      el.getChildText('show') === 'away' &&
      el.getChildText('status') === 'at lunch';
    const path = `/_matrix/client/v3/presence/${encodeURIComponent(matt.userId)}/status`;
    await asUser(matt, 'PUT', path, { presence: 'unavailable', status_msg: 'at lunch' });
    await carol.expect(away(`${room}/${mattNick}`), 'Matt away in the MUC');
    await carol.expect(away(mattFull), 'Matt away to his contact');
    const later = carol.heard.length;
    await asUser(matt, 'PUT', path, { presence: 'online' });
    await carol.expect(
      (el) =>
        carol.heard.indexOf(el) >= later &&
        el.name === 'presence' &&
        el.attrs.from === `${room}/${mattNick}` &&
        !el.attrs.type &&
        !el.getChild('show'),
      'Matt back online in the MUC',
    );
  });

  it("a contact's vCard photo is their ghost's avatar in the direct chat", async () => {
    alice = await scope.user('alice', `avatars${suffix}`);
    await setVcard(alice, 'Alice', alicePng);
    await alice.send(chat(alice.jid, matrixJid(matt.userId), 'hello with my photo'));
    const dm = await joinDmRoom(connector, 'alice@localhost', matt);
    const ghost = ghostOf('alice@localhost');
    await said(matt, dm, ghost, 'hello with my photo');
    const mxc = await waitFor(() => avatarOf(matt, ghost), 20_000, "Alice's ghost's avatar");
    expect(sha1(await download(matt, mxc))).toBe(sha1(alicePng));
  });
});
