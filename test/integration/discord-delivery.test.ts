// Matrix → Discord delivery through the fake Discord and real Synapse: a Matrix file uploaded
// through the webhook and one over the upload limit refused clearly (without public links),
// Discord's refusal reason told to the sender, a 429 waited out with nothing lost or reordered,
// and a dropped gateway session resumed with nothing lost or doubled.
import { describe, expect, it } from 'vitest';
import { replyTarget, roomEvents, sendAs, sendText } from '../support/bridge-harness.js';
import { discordRoom } from '../support/discord-room.js';
import type { FakeMember } from '../support/fake-discord/index.js';
import { requireSynapse, waitFor } from '../support/synapse.js';

describe('Discord delivery (fake Discord + Synapse)', () => {
  let bob: FakeMember;
  const room = discordRoom({
    channel: 'general',
    topic: 'General chat',
    setUp(fake) {
      bob = fake.state.addMember('bob', 'Bobby');
    },
    config: { max_upload_bytes: 4096 },
  });
  const { inRoom, onDiscord } = room;

  it('uploads Matrix media through the webhook, and refuses a file over the upload limit clearly', async () => {
    const upload = async (name: string, bytes: number) => {
      const { hsUrl } = requireSynapse();
      const res = await fetch(`${hsUrl}/_matrix/media/v3/upload?filename=${name}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${room.alice.accessToken}`, 'content-type': 'image/png' },
        body: new Uint8Array(bytes).fill(7),
      });
      return ((await res.json()) as { content_uri: string }).content_uri;
    };
    const small = await upload('cat.png', 1000);
    await sendAs(room.alice, room.roomId, {
      msgtype: 'm.image',
      body: 'cat.png',
      url: small,
      info: { mimetype: 'image/png', size: 1000 },
    });
    const sent = await waitFor(
      () =>
        room.fake
          .messages(room.channelId)
          .find((m) => m.webhook_id && m.attachments.some((a) => a.filename === 'cat.png')),
      20_000,
      'the upload on Discord',
    );
    expect(sent.attachments[0]).toMatchObject({
      filename: 'cat.png',
      size: 1000,
      content_type: 'image/png',
    });
    expect(sent.content).toBe('');

    const big = await upload('huge.png', 5000);
    const refused = await sendAs(room.alice, room.roomId, {
      msgtype: 'm.image',
      body: 'huge.png',
      url: big,
      info: { mimetype: 'image/png', size: 5000 },
    });
    const notice = await inRoom(
      (x) => x.content.msgtype === 'm.notice' && replyTarget(x) === refused,
      'the refusal',
    );
    expect(notice.content.body).toContain(
      'huge.png is 4.9 KB: Discord takes at most 4.0 KB per message',
    );
    expect(
      room.fake
        .messages(room.channelId)
        .some((m) => m.attachments.some((a) => a.filename === 'huge.png')),
    ).toBe(false);
  });

  it('tells the Matrix sender Discord’s reason when Discord refuses a message', async () => {
    room.fake.rest.failNext(/^POST \/webhooks\//, 403, 50013, 'Missing Permissions');
    const refused = await sendText(room.alice, room.roomId, 'not allowed');
    const notice = await inRoom(
      (x) => x.content.msgtype === 'm.notice' && replyTarget(x) === refused,
      'the failure notice',
    );
    expect(notice.content.body).toContain('Discord refused the message: Missing Permissions (403)');
  });

  it('waits out a 429 and delivers once, in order', async () => {
    room.fake.rest.rateLimitNext(/^POST \/webhooks\//, 1.5);
    const t0 = Date.now();
    await sendText(room.alice, room.roomId, 'limited one');
    await sendText(room.alice, room.roomId, 'limited two');
    await onDiscord((c) => c === 'limited two', 'the messages after the 429');
    const contents = room.fake.messages(room.channelId).map((m) => m.content);
    expect(contents.filter((c) => c === 'limited one')).toHaveLength(1);
    expect(contents.indexOf('limited one')).toBeLessThan(contents.indexOf('limited two'));
    const first = room.fake.rest.calls.filter(
      (c) => (c.body as { content?: string })?.content === 'limited one',
    );
    expect(first.map((c) => c.status)).toEqual([429, 200]);
    expect(first[1]!.at - first[0]!.at).toBeGreaterThanOrEqual(1_400);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_400);
  });

  it('resumes a dropped gateway session and bridges what was said meanwhile, nothing lost or doubled', async () => {
    const resumesBefore = room.fake.gateway.resumes;
    room.fake.gateway.drop();
    const said = ['while down 1', 'while down 2', 'while down 3'];
    for (const text of said) room.fake.say(bob, room.channelId, text);
    await waitFor(
      () => (room.fake.gateway.resumes > resumesBefore ? true : undefined),
      30_000,
      'the RESUME',
    );
    for (const text of said) await inRoom((x) => x.content.body === text, text);
    const events = await roomEvents(room.alice, room.roomId);
    const bodies = events
      .filter((x) => said.includes(x.content.body as string))
      .map((x) => x.content.body);
    expect(bodies).toEqual(said);
    expect(room.fake.gateway.identifies).toBe(1);
    expect(room.connector.connection?.resumes).toBeGreaterThanOrEqual(1);
  });
});
