// Discord markdown ↔ Matrix HTML through the bridge (fake Discord + real Synapse), as a Matrix
// user and Discord users see it: headings, quotes, lists, spoilers and custom emoji (as images)
// from Discord, spoilers from Matrix, rich embeds as text, hostile content kept harmless both
// ways and long Matrix texts split.
import { EmbedType } from 'discord-api-types/v10';
import { describe, expect, it } from 'vitest';
import { asUser, sendAs, sendText } from '../support/bridge-harness.js';
import { discordRoom } from '../support/discord-room.js';
import type { FakeMember } from '../support/fake-discord/index.js';
import { requireSynapse, waitFor } from '../support/synapse.js';

/** A real PNG (1×1, red). */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);

describe('Discord formatting (fake Discord + Synapse)', () => {
  let bob: FakeMember;
  const room = discordRoom({
    channel: 'formatting',
    setUp(fake) {
      bob = fake.state.addMember('bob', 'Bobby');
    },
  });
  const { inRoom } = room;

  it('shows Discord headings, quotes, lists and spoilers as Matrix HTML', async () => {
    room.fake.say(
      bob,
      room.channelId,
      '## Plan\n> first **idea**\n> second\n- one\n- two\n1. uno\nthe end is ||a <b>secret</b>||',
    );
    const e = await inRoom((x) => String(x.content.body).startsWith('Plan'), 'the message');
    expect(e.content.formatted_body).toBe(
      '<h2>Plan</h2><blockquote>first <strong>idea</strong><br>second</blockquote>' +
        '<ul><li>one</li><li>two</li></ul><ol><li>uno</li></ol>' +
        'the end is <span data-mx-spoiler>a &lt;b&gt;secret&lt;/b&gt;</span>',
    );
    expect(e.content.body).toBe(
      'Plan\n> first idea\n> second\n- one\n- two\n1. uno\nthe end is a <b>secret</b>',
    );
  });

  it('shows nested Discord lists as nested Matrix lists', async () => {
    room.fake.say(bob, room.channelId, '- fruit\n  - apple\n  - pear\n- veg');
    const e = await inRoom((x) => String(x.content.body).startsWith('- fruit'), 'the list');
    expect(e.content.formatted_body).toBe(
      '<ul><li>fruit<br><ul><li>apple</li><li>pear</li></ul></li><li>veg</li></ul>',
    );
    expect(e.content.body).toBe('- fruit\n  - apple\n  - pear\n- veg');
  });

  it('shows a custom emoji in the text as its image', async () => {
    const emoji = room.fake.addEmoji('blob_wave', PNG);
    room.fake.say(bob, room.channelId, `hello <:blob_wave:${emoji.id}>!`);
    const e = await inRoom((x) => String(x.content.body).startsWith('hello'), 'the emoji message');
    expect(e.content.body).toBe('hello :blob_wave:!');
    const m =
      /^hello <img data-mx-emoticon src="(mxc:\/\/localhost\/[\w-]+)" alt=":blob_wave:" title=":blob_wave:" height="32">!$/.exec(
        String(e.content.formatted_body),
      );
    expect(m, String(e.content.formatted_body)).not.toBeNull();
    const res = await fetch(
      `${requireSynapse().hsUrl}/_matrix/client/v1/media/download/${m![1]!.slice('mxc://'.length)}`,
      { headers: { authorization: `Bearer ${room.alice.accessToken}` } },
    );
    expect(Buffer.from(await res.arrayBuffer())).toEqual(PNG);
    // Uploaded once: the same emoji again reuses it.
    const fetched = room.fake.cdn.fetched.filter((p) => p.includes(emoji.id)).length;
    room.fake.say(bob, room.channelId, `again <:blob_wave:${emoji.id}>`);
    const again = await inRoom((x) => String(x.content.body).startsWith('again'), 'the second');
    expect(String(again.content.formatted_body)).toContain(m![1]!);
    expect(room.fake.cdn.fetched.filter((p) => p.includes(emoji.id)).length).toBe(fetched);
  });

  it('sends a Matrix spoiler as a Discord spoiler', async () => {
    await sendAs(room.alice, room.roomId, {
      msgtype: 'm.text',
      body: 'it was [Spoiler] the butler',
      format: 'org.matrix.custom.html',
      formatted_body: 'it was <span data-mx-spoiler>the *butler*</span>',
    });
    const sent = await waitFor(
      () =>
        room.fake
          .messages(room.channelId)
          .find((m) => m.webhook_id && m.content.startsWith('it was')),
      20_000,
      'the spoiler on Discord',
    );
    expect(sent.content).toBe('it was ||the \\*butler\\*||');
  });
  it('sends Matrix quotes, headings and nested lists as Discord markdown', async () => {
    await sendAs(room.alice, room.roomId, {
      msgtype: 'm.text',
      body: 'Agenda\n> old *news*\n1. first\n  - sub\n2. second',
      format: 'org.matrix.custom.html',
      formatted_body:
        '<h2>Agenda</h2>\n<blockquote>\n<p>old <em>news</em></p>\n</blockquote>\n' +
        '<ol>\n<li>first\n<ul>\n<li>sub</li>\n</ul>\n</li>\n<li>second</li>\n</ol>\n',
    });
    const sent = await waitFor(
      () =>
        room.fake
          .messages(room.channelId)
          .find((m) => m.webhook_id && m.content.startsWith('## Agenda')),
      20_000,
      'the blocks on Discord',
    );
    expect(sent.content).toBe('## Agenda\n> old *news*\n1. first\n   - sub\n2. second');
  });

  it('keeps hostile content harmless both ways and splits long Matrix texts', async () => {
    // HTML typed on Discord is text in Matrix, never markup; a javascript: masked link is no link.
    room.fake.say(
      bob,
      room.channelId,
      '<img src=x onerror=alert(1)> **<b>bold</b>** [x](javascript:alert(1))',
    );
    const e = await inRoom((x) => String(x.content.body).startsWith('<img'), 'the hostile message');
    expect(e.content.formatted_body).toBe(
      '&lt;img src=x onerror=alert(1)&gt; <strong>&lt;b&gt;bold&lt;/b&gt;</strong> [x](javascript:alert(1))',
    );
    // NUL, a lone surrogate and a 4,000-character text (Nitro's limit) arrive cleaned and whole.
    const huge = `nul\u0000lone\uD800end ${'y'.repeat(3980)}`;
    room.fake.say(bob, room.channelId, huge);
    const big = await inRoom((x) => String(x.content.body).startsWith('nul'), 'the huge message');
    expect(big.content.body).toBe(`nullone\uFFFDend ${'y'.repeat(3980)}`);
    // A display name Discord would refuse as a webhook username is mended, not refused.
    await asUser(
      room.alice,
      'PUT',
      `/_matrix/client/v3/profile/${encodeURIComponent(room.alice.userId)}/displayname`,
      {
        displayname: 'Discord @admin\u0007',
      },
    );
    await inRoom(
      (x) =>
        x.type === 'm.room.member' &&
        x.state_key === room.alice.userId &&
        x.content.displayname === 'Discord @admin\u0007',
      "alice's new display name in the room",
    );
    // A text over Discord's 2,000 characters goes as several messages, in order, none too long.
    const long = Array.from({ length: 60 }, (_, i) => `line ${i} ${'x'.repeat(80)}`).join('\n');
    await sendText(room.alice, room.roomId, long);
    const parts = await waitFor(
      () => {
        const found = room.fake
          .messages(room.channelId)
          .filter((m) => m.webhook_id && /^line \d+ x/.test(m.content));
        return found.length >= 3 &&
          found.some((m) => m.content.endsWith(`line 59 ${'x'.repeat(80)}`))
          ? found
          : undefined;
      },
      20_000,
      'the long text on Discord',
    );
    expect(parts.every((m) => m.content.length <= 2000)).toBe(true);
    expect(parts.map((m) => m.content).join('\n')).toBe(long);
    expect(parts[0]!.author.username).toBe('D-iscord admin');
  });

  it('shows a rich embed as formatted text', async () => {
    room.fake.say(bob, room.channelId, 'deploy done', {
      embeds: [
        {
          type: EmbedType.Rich,
          title: 'Build 42',
          url: 'https://ci.example.org/42',
          description: '**passed** in 3 min',
        },
      ],
    });
    const e = await inRoom(
      (x) => String(x.content.body).startsWith('deploy done'),
      'the embed message',
    );
    expect(e.content.body).toBe(
      'deploy done\nBuild 42 (https://ci.example.org/42)\npassed in 3 min',
    );
    expect(e.content.formatted_body).toBe(
      'deploy done<br><a href="https://ci.example.org/42"><strong>Build 42</strong></a><br><strong>passed</strong> in 3 min',
    );
  });
});
