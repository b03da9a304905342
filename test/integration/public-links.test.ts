// Public links against real Synapse (authenticated media) and real InspIRCd: a Matrix user's file
// reaches IRC as a link anyone can open, the bridge fetching it with its own token; a 10-line
// message reaches IRC as one line with a link to the whole text. A changed link gets 404, an
// expired one 410.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IrcConnector } from '../../bridges/irc/index.js';
import { PublicLinks } from '../../src/core/public-links.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, sendAs, startBridge } from '../support/bridge-harness.js';
import { defaultPuppetNick, ircPort, ircUser, type Heard } from '../support/irc-user.js';
import {
  registerUser,
  requireSynapse,
  testRegistration,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

const HOUR = 3_600_000;
/** A real PNG (1×1, red), so the file is what a client uploads. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);

describe('public links (Synapse + InspIRCd)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#links${suffix}`;
  const publicUrl = `${testRegistration().url.replace(/\/$/, '')}/`;
  let bridge: Switchboard;
  let alice: TestUser;
  let puppetNick: string;
  let roomId: string;
  let irc: Awaited<ReturnType<typeof ircUser>>;
  let mxc: string;

  /** Uploads as alice, through the client-server API with her token. */
  async function upload(data: Buffer, type: string, name: string): Promise<string> {
    const { hsUrl } = requireSynapse();
    const res = await fetch(
      `${hsUrl}/_matrix/media/v3/upload?filename=${encodeURIComponent(name)}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${alice.accessToken}`, 'content-type': type },
        body: new Uint8Array(data),
      },
    );
    expect(res.status).toBe(200);
    return ((await res.json()) as { content_uri: string }).content_uri;
  }

  /** A link to `target` signed with the bridge's own key, as if made `ago` ms back. */
  function linkMadeAgo(ago: number): PublicLinks {
    return new PublicLinks({
      url: publicUrl,
      ttlHours: 1,
      key: () => bridge.secretKey!.derive('public-links'),
      kv: bridge.store.kv,
      download: () => Promise.reject(new Error('not used')),
      now: () => Date.now() - ago,
    });
  }

  const heardFromPuppet = (predicate: (e: Heard) => boolean, what: string) =>
    waitFor(
      () => irc.heard.find((e) => e.nick === puppetNick && e.target === channel && predicate(e)),
      30_000,
      what,
    );

  beforeAll(async () => {
    requireSynapse();
    bridge = await startBridge({
      connectors: [new IrcConnector()],
      bridges: {
        irc: {
          enabled: true,
          networks: {
            test: {
              host: '127.0.0.1',
              port: ircPort(),
              tls: false,
              flood: { lines_per_second: 0, burst: 10 },
            },
          },
        },
      },
      publicLinks: { url: publicUrl, ttl_hours: 1 },
    });
    alice = await registerUser(uniqueLocalpart('alice'));
    puppetNick = defaultPuppetNick(alice.userId);
    irc = await ircUser(`Bob${suffix}`, channel);
    roomId = (
      await asUser<{ room_id: string }>(
        alice,
        'POST',
        `/_matrix/client/v3/join/${encodeURIComponent(`#irc_test_${channel}:localhost`)}`,
        {},
      )
    ).room_id;
    mxc = await upload(PNG, 'image/png', 'red dot.png');
  });

  afterAll(async () => {
    irc?.client.quit('bye');
    await bridge?.stop();
  });

  describe('core', () => {
    it('serves Matrix media that needs a token to anyone with the link, inert', async () => {
      // Authenticated media: without a token, the homeserver does not give the file out.
      const { hsUrl } = requireSynapse();
      const anonymous = await fetch(
        `${hsUrl}/_matrix/client/v1/media/download/${mxc.slice('mxc://'.length)}`,
      );
      expect(anonymous.status).toBe(401);

      const link = await bridge.publicLinks!.link({ mxc, name: 'red dot.png' });
      expect(link.startsWith(`${publicUrl}_switchboard/media/`)).toBe(true);
      const res = await fetch(link);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(PNG);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('content-disposition')).toBe(
        `inline; filename="red dot.png"; filename*=UTF-8''red%20dot.png`,
      );
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'.*sandbox/);
    });

    it('gives an HTML file only as a download', async () => {
      const page = await upload(Buffer.from('<script>alert(1)</script>'), 'text/html', 'x.html');
      const res = await fetch(await bridge.publicLinks!.link({ mxc: page, name: 'x.html' }));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="x\.html"/);
      expect(res.headers.get('content-security-policy')).toContain('sandbox');
    });

    it('refuses a changed link (404) and an expired one (410), saying nothing else', async () => {
      const link = await bridge.publicLinks!.link({ mxc, name: 'red dot.png' });
      const renamed = await fetch(link.replace(/red%20dot\.png$/, 'red%20dot.html'));
      expect(renamed.status).toBe(404);
      expect(await renamed.text()).toBe('No such link.\n');
      const token = /media\/([^/]+)\//.exec(link)![1]!;
      const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
      expect((await fetch(link.replace(token, flipped))).status).toBe(404);

      const old = linkMadeAgo(2 * HOUR);
      const expiredMedia = await fetch(await old.link({ mxc, name: 'red dot.png' }));
      expect(expiredMedia.status).toBe(410);
      expect(await expiredMedia.text()).toBe('This link has expired.\n');
      const expiredText = await fetch(await old.link({ text: 'old news' }));
      expect(expiredText.status).toBe(410);
      expect(await expiredText.text()).not.toContain('old news');
    });
  });

  describe('IRC', () => {
    it('says an image as its name and a link IRC users can open', async () => {
      await sendAs(alice, roomId, {
        msgtype: 'm.image',
        body: 'red dot.png',
        filename: 'red dot.png',
        url: mxc,
        info: { mimetype: 'image/png', size: PNG.length },
      });
      const line = await heardFromPuppet(
        (e) => e.message.startsWith('red dot.png '),
        'the image line on IRC',
      );
      const link = /^red dot\.png (\S+)$/.exec(line.message)?.[1];
      expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/_switchboard\/media\/\S+\/red%20dot\.png$/);
      const res = await fetch(link!);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await res.arrayBuffer())).toEqual(PNG);
    });

    it('says a 10-line message as one line with a link to the whole text', async () => {
      const body = Array.from({ length: 10 }, (_, i) => `paste line ${i + 1}`).join('\n');
      await sendAs(alice, roomId, { msgtype: 'm.text', body });
      const line = await heardFromPuppet(
        (e) => e.message.startsWith('paste line 1 '),
        'the long message on IRC',
      );
      const link = /^paste line 1 … \(full message: (\S+)\)$/.exec(line.message)?.[1];
      expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/_switchboard\/text\/\S+$/);
      const res = await fetch(link!);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(await res.text()).toBe(body);
      // The rest of the lines never reach the channel: a marker sent after comes next.
      await sendAs(alice, roomId, { msgtype: 'm.text', body: `marker ${suffix}` });
      await heardFromPuppet((e) => e.message === `marker ${suffix}`, 'the marker');
      const said = irc.heard.filter((e) => e.nick === puppetNick).map((e) => e.message);
      expect(said.filter((m) => m.startsWith('paste line'))).toEqual([line.message]);
    });
  });
});
