// Discord media through the bridge, with the fake Discord (its CDN too) and real Synapse, as a
// Matrix user sees it: attachments re-uploaded as Matrix media (within `max_media_bytes`, else a
// link), stickers as images (a Lottie one named, saying why), custom emoji reactions as their
// image, ghosts with their Discord avatars (kept up to date), and a Matrix file too large for
// Discord as a public link of core's.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StickerFormatType } from 'discord-api-types/v10';
import { describe, expect, it } from 'vitest';
import { asUser, sendAs } from '../support/bridge-harness.js';
import { discordRoom } from '../support/discord-room.js';
import type { FakeMember } from '../support/fake-discord/index.js';
import { requireSynapse, testRegistration, waitFor } from '../support/synapse.js';

/** A real PNG (1×1, red). */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);
/** Another (1×1, blue), for a changed avatar. */
const PNG2 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPj/HwADBwIAMCbHYQAAAABJRU5ErkJggg==',
  'base64',
);

/** A real GIF (1×1). */
const GIF = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');

describe('Discord media (fake Discord + its CDN + Synapse)', () => {
  let bob: FakeMember;
  const ghostOf = (m: FakeMember) => `@discord_${m.user.id}:localhost`;
  const publicUrl = `${testRegistration().url.replace(/\/$/, '')}/`;

  /** Matrix media as Alice downloads it. */
  const download = async (mxc: string) => {
    const res = await fetch(
      `${requireSynapse().hsUrl}/_matrix/client/v1/media/download/${mxc.slice('mxc://'.length)}`,
      { headers: { authorization: `Bearer ${room.alice.accessToken}` } },
    );
    expect(res.status).toBe(200);
    return Buffer.from(await res.arrayBuffer());
  };
  const upload = async (name: string, data: Uint8Array, type: string) => {
    const res = await fetch(
      `${requireSynapse().hsUrl}/_matrix/media/v3/upload?filename=${encodeURIComponent(name)}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${room.alice.accessToken}`, 'content-type': type },
        body: new Uint8Array(data),
      },
    );
    return ((await res.json()) as { content_uri: string }).content_uri;
  };

  const room = discordRoom({
    channel: 'media',
    topic: 'Pictures',
    setUp(fake) {
      bob = fake.state.addMember('bob', 'Bobby');
    },
    config: { max_media_bytes: 2048, max_upload_bytes: 4096 },
    options: { publicLinks: { url: publicUrl, ttl_hours: 1 } },
  });
  const { inRoom } = room;

  it('re-uploads a Discord attachment as Matrix media, and links one over max_media_bytes', async () => {
    const small = room.fake.attachment(room.channelId, 'dot.png', PNG, 'image/png');
    const large = room.fake.attachment(room.channelId, 'big.bin', new Uint8Array(3000).fill(1));
    room.fake.say(bob, room.channelId, 'two files', { attachments: [small, large] });
    const image = await inRoom((e) => e.content.msgtype === 'm.image', 'the image');
    expect(image.sender).toBe(ghostOf(bob));
    expect(image.content).toMatchObject({
      body: 'dot.png',
      filename: 'dot.png',
      info: { mimetype: 'image/png', size: PNG.byteLength },
    });
    expect(String(image.content.url)).toMatch(/^mxc:\/\/localhost\//);
    expect(await download(String(image.content.url))).toEqual(PNG);
    // Over the cap: not fetched at all, a link to Discord's CDN instead.
    const link = await inRoom((e) => String(e.content.body).startsWith('big.bin'), 'the link');
    expect(link.content.msgtype).toBe('m.text');
    expect(link.content.body).toBe(`big.bin: ${large.url}`);
    expect(room.fake.cdn.fetched.some((p) => p.includes('big.bin'))).toBe(false);
    const text = await inRoom((e) => e.content.body === 'two files', 'the text');
    expect(text.sender).toBe(ghostOf(bob));
  });

  it('never fetches what is not on the CDN, nor follows a redirect away from it', async () => {
    // Another server with the same picture, counting who asks for it.
    let hits = 0;
    const other = createServer((_req, res) => {
      hits++;
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(PNG);
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const elsewhere = `http://127.0.0.1:${(other.address() as AddressInfo).port}/x.png`;
    try {
      const foreign = {
        ...room.fake.attachment(room.channelId, 'x.png', PNG, 'image/png'),
        url: elsewhere,
      };
      const redirected = room.fake.attachment(room.channelId, 'r.png', PNG, 'image/png');
      room.fake.cdn.redirects.set(new URL(redirected.url).pathname.slice(4), elsewhere);
      room.fake.say(bob, room.channelId, 'sneaky', { attachments: [foreign, redirected] });
      const r = await inRoom((e) => String(e.content.body).startsWith('r.png'), 'the redirect');
      expect(r.content.body).toBe(`r.png: ${redirected.url}`);
      const x = await inRoom((e) => String(e.content.body).startsWith('x.png'), 'the foreign');
      expect(x.content.body).toBe(`x.png: ${elsewhere}`);
      expect(hits).toBe(0);
    } finally {
      other.close();
    }
  });

  it('shows PNG and GIF stickers as images, and names a Lottie sticker saying why', async () => {
    const png = room.fake.sticker('Wave', StickerFormatType.PNG, PNG);
    const gif = room.fake.sticker('Spin', StickerFormatType.GIF, GIF);
    const lottie = room.fake.sticker('Dance', StickerFormatType.Lottie);
    room.fake.say(bob, room.channelId, '', { sticker_items: [png, gif, lottie] });
    const image = await inRoom(
      (e) => e.content.msgtype === 'm.image' && e.content.body === 'Wave',
      'the sticker image',
    );
    expect(await download(String(image.content.url))).toEqual(PNG);
    const animated = await inRoom(
      (e) => e.content.msgtype === 'm.image' && e.content.body === 'Spin',
      'the GIF sticker',
    );
    expect(animated.content.info).toMatchObject({ mimetype: 'image/gif' });
    expect(await download(String(animated.content.url))).toEqual(GIF);
    const named = await inRoom(
      (e) => String(e.content.body).includes('Dance'),
      'the Lottie sticker named',
    );
    expect(named.content.body).toBe(
      '[sticker: Dance (an animated sticker Matrix clients cannot show)]',
    );
  });

  it('reacts with a custom emoji’s image, both ways', async () => {
    const msg = room.fake.say(bob, room.channelId, 'react to me');
    await inRoom((e) => e.content.body === 'react to me', 'the message');
    const emoji = room.fake.addEmoji('party_blob', PNG);
    room.fake.react(bob, msg, emoji);
    const reaction = await inRoom((e) => e.type === 'm.reaction', 'the reaction');
    const { key, event_id: target } = reaction.content['m.relates_to'] as {
      key: string;
      event_id: string;
    };
    expect(key).toMatch(/^mxc:\/\/localhost\//);
    expect(await download(key)).toEqual(PNG);
    // Back from Matrix: a reaction with that image is the custom emoji on Discord; another
    // image is refused, saying why.
    const mine = await sendAs(
      room.alice,
      room.roomId,
      {
        'm.relates_to': {
          rel_type: 'm.annotation',
          event_id: target,
          key,
        },
      },
      'm.reaction',
    );
    const call = await waitFor(
      () =>
        room.fake.rest.calls.find(
          (c) =>
            c.method === 'PUT' &&
            c.path.includes(`/reactions/${encodeURIComponent(`party_blob:${emoji.id}`)}/@me`),
        ),
      20_000,
      'the custom emoji reaction on Discord',
    );
    expect(call.status).toBe(204);
    expect(mine).toMatch(/^\$/);
    const other = await upload('not-emoji.png', PNG, 'image/png');
    const refused = await sendAs(
      room.alice,
      room.roomId,
      {
        'm.relates_to': {
          rel_type: 'm.annotation',
          event_id: target,
          key: other,
        },
      },
      'm.reaction',
    );
    const notice = await inRoom(
      (e) =>
        e.content.msgtype === 'm.notice' &&
        (e.content['m.relates_to'] as { 'm.in_reply_to'?: { event_id?: string } } | undefined)?.[
          'm.in_reply_to'
        ]?.event_id === refused,
      'the refusal of another image',
    );
    expect(notice.content.body).toContain(
      'Discord takes only its own custom emoji as image reactions',
    );
  });

  it('gives a ghost its Discord avatar and follows a change', async () => {
    const profile = async () =>
      fetch(
        `${requireSynapse().hsUrl}/_matrix/client/v3/profile/${encodeURIComponent(ghostOf(bob))}`,
        { headers: { authorization: `Bearer ${room.alice.accessToken}` } },
      ).then((r) => r.json() as Promise<{ avatar_url?: string; displayname?: string }>);
    room.fake.setAvatar(bob, PNG);
    room.fake.say(bob, room.channelId, 'new face');
    const first = await waitFor(async () => (await profile()).avatar_url, 20_000, 'the avatar');
    expect(await download(first)).toEqual(PNG);
    room.fake.setAvatar(bob, PNG2);
    room.fake.say(bob, room.channelId, 'newer face');
    const second = await waitFor(
      async () => {
        const url = (await profile()).avatar_url;
        return url !== first ? url : undefined;
      },
      20_000,
      'the changed avatar',
    );
    expect(await download(second!)).toEqual(PNG2);
  });

  it('sends a Matrix file too large for Discord as a public link', async () => {
    const big = await upload('huge.bin', new Uint8Array(5000).fill(9), 'application/pdf');
    await sendAs(room.alice, room.roomId, {
      msgtype: 'm.file',
      body: 'huge.bin',
      url: big,
      info: { mimetype: 'application/pdf', size: 5000 },
    });
    const sent = await waitFor(
      () =>
        room.fake
          .messages(room.channelId)
          .find((m) => m.webhook_id && m.content.includes('huge.bin')),
      20_000,
      'the link on Discord',
    );
    const url = /\(<([^>]+)>\)/.exec(sent.content)?.[1];
    expect(sent.content).toMatch(/^📎 \[huge\.bin\]\(<.+>\) \(4\.9 KB\)$/);
    expect(url?.startsWith(`${publicUrl}_switchboard/media/`)).toBe(true);
    expect(sent.attachments).toEqual([]);
    const res = await fetch(url!);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.alloc(5000, 9));
  });

  it('shows a Matrix user’s avatar on the webhook through a public link', async () => {
    const mxc = await upload('me.png', PNG, 'image/png');
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(room.roomId)}/state/m.room.member/${encodeURIComponent(room.alice.userId)}`;
    const member = await asUser<Record<string, unknown>>(room.alice, 'GET', path);
    await asUser(room.alice, 'PUT', path, { ...member, avatar_url: mxc });
    await sendAs(room.alice, room.roomId, { msgtype: 'm.text', body: 'see my face' });
    const sent = await waitFor(
      () =>
        room.fake.messages(room.channelId).find((m) => m.webhook_id && m.content === 'see my face'),
      20_000,
      'the message on Discord',
    );
    const avatar = (sent as { avatar_url?: string }).avatar_url;
    expect(avatar?.startsWith(`${publicUrl}_switchboard/media/`)).toBe(true);
    const res = await fetch(avatar!);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(PNG);
  });
});
