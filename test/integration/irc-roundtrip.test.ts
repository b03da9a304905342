// The IRC bridge against real InspIRCd and real Synapse: a Matrix user talks in a dynamic portal
// `#irc_test_#room…:localhost` and a real IRC client (irc-framework) in `#room…` talks back.
// Proves: alias → room + bot join, puppet nick from the template, both directions with
// display names, notice/emote mapping, CR/LF injection, 512-byte splitting of multi-byte text,
// and that our own puppets' lines never come back to Matrix.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultPuppetNick, ircUser, type Heard, type IrcUser } from '../support/irc-user.js';
import { ircScope } from '../support/irc-scope.js';
import { asUser, roomEvents, type RoomEvent, joinAlias } from '../support/bridge-harness.js';
import { registerUser, uniqueLocalpart, waitFor, type TestUser } from '../support/synapse.js';

describe('IRC bridge round trip (InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#room${suffix}`;
  const ircNick = `Bob${suffix}`;
  const ghost = `@irc_test_bob${suffix}:localhost`;
  const scope = ircScope();
  let alice: TestUser;
  let puppetNick: string;
  let roomId: string;
  let irc: IrcUser;
  let txn = 0;

  const send = async (content: Record<string, unknown>) =>
    (
      await asUser<{ event_id: string }>(
        alice,
        'PUT',
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${Date.now()}.${++txn}`,
        content,
      )
    ).event_id;
  const heardFromPuppet = (predicate: (e: Heard) => boolean, what: string) =>
    waitFor(
      () => irc.heard.find((e) => e.nick === puppetNick && e.target === channel && predicate(e)),
      20_000,
      what,
    );
  const fromGhost = (predicate: (e: RoomEvent) => boolean, what: string) =>
    waitFor(
      async () => (await roomEvents(alice, roomId)).find((e) => e.sender === ghost && predicate(e)),
      20_000,
      what,
    );

  beforeAll(async () => {
    ({ user: alice, puppetNick } = await scope.bridgeAndMatrixUser('alice'));
    irc = await scope.user(ircNick, channel);
    const topicSet = new Promise<void>((resolve) => irc.client.once('topic', () => resolve()));
    irc.client.raw(`TOPIC ${channel} :the initial topic`);
    await topicSet;
    // Joining an unknown alias in the bridge's namespace asks the bridge: it joins the channel, core makes the room.
    const alias = `#irc_test_${channel}:localhost`;
    roomId = await joinAlias(alice, alias);
  });

  it("makes the portal room from the alias, with the channel's topic", async () => {
    const topic = await asUser<{ topic: string }>(
      alice,
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.topic/`,
    );
    expect(topic.topic).toBe('the initial topic');
  });

  it("says a Matrix message on IRC as the sender's puppet (nick from the template)", async () => {
    await send({ msgtype: 'm.text', body: 'hello from matrix' });
    const e = await heardFromPuppet(
      (m) => m.type === 'privmsg' && m.message === 'hello from matrix',
      'the puppet PRIVMSG',
    );
    expect(e.nick).toBe(puppetNick);
  });

  it("brings an IRC message to Matrix from the nick's ghost, named after the nick", async () => {
    irc.client.say(channel, 'hi from irc');
    const event = await fromGhost(
      (e) => e.type === 'm.room.message' && e.content.body === 'hi from irc',
      'the ghost message',
    );
    expect(event.content.msgtype).toBe('m.text');
    const member = await asUser<{ displayname?: string }>(
      alice,
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(ghost)}`,
    );
    expect(member.displayname).toBe(ircNick);
  });

  it('maps emotes to ACTION and notices to NOTICE, both ways', async () => {
    await send({ msgtype: 'm.emote', body: 'waves' });
    await heardFromPuppet((m) => m.type === 'action' && m.message === 'waves', 'the puppet ACTION');
    await send({ msgtype: 'm.notice', body: 'a notice' });
    await heardFromPuppet(
      (m) => m.type === 'notice' && m.message === 'a notice',
      'the puppet NOTICE',
    );

    irc.client.raw(`PRIVMSG ${channel} :\x01ACTION dances\x01`);
    const emote = await fromGhost((e) => e.content.body === 'dances', 'the ghost emote');
    expect(emote.content.msgtype).toBe('m.emote');
    irc.client.raw(`NOTICE ${channel} :irc notice`);
    const notice = await fromGhost((e) => e.content.body === 'irc notice', 'the ghost notice');
    expect(notice.content.msgtype).toBe('m.notice');
  });

  it('keeps CR/LF in a Matrix body from becoming an IRC command', async () => {
    await send({ msgtype: 'm.text', body: 'a\r\nQUIT :bye' });
    await heardFromPuppet((m) => m.message === 'a', 'the first line');
    await heardFromPuppet((m) => m.message === 'QUIT :bye', 'the second line, as text');
    await send({ msgtype: 'm.text', body: 'still here' });
    await heardFromPuppet(
      (m) => m.message === 'still here',
      'a message after the injection attempt',
    );
    expect(
      irc.raw.some((l) =>
        new RegExp(`^(@\\S+ )?:${puppetNick.replace(/[[\]]/g, '\\$&')}!\\S+ QUIT`).test(l),
      ),
    ).toBe(false);
  });

  it('splits a long multi-byte message into valid UTF-8 lines that join back to the text', async () => {
    const text = Array.from({ length: 40 }, (_, i) => `${i} héllo wörld ✓ 日本語 🎉`).join(' ');
    expect(Buffer.byteLength(text)).toBeGreaterThan(1200);
    const before = irc.heard.length;
    await send({ msgtype: 'm.text', body: text });
    const lines = await waitFor(
      () => {
        const got = irc.heard
          .slice(before)
          .filter((m) => m.nick === puppetNick && m.type === 'privmsg')
          .map((m) => m.message);
        return got.join('').length >= text.length ? got : undefined;
      },
      20_000,
      'all the lines of the long message',
    );
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.join('')).toBe(text);
    for (const line of lines) expect(line).not.toContain('\uFFFD');
    // Each relayed line (IRCv3 tags aside) fits the 512-byte limit.
    for (const line of irc.raw.filter((l) => l.includes(` PRIVMSG ${channel} :`))) {
      expect(Buffer.byteLength(line.replace(/^@\S+ /, '')) + 2).toBeLessThanOrEqual(512);
    }
  });

  it('turns a pill of a ghost into its nick', async () => {
    await send({
      msgtype: 'm.text',
      body: `${ircNick}: ping`,
      format: 'org.matrix.custom.html',
      formatted_body: `<a href="https://matrix.to/#/${ghost}">${ircNick}</a>: ping`,
    });
    await heardFromPuppet((m) => m.message === `${ircNick}: ping`, 'the mention as a nick');
  });

  it('mirrors JOIN, TOPIC and PART as ghost membership and the room topic', async () => {
    const carolNick = `Carol${suffix}`;
    const carolGhost = `@irc_test_carol${suffix}:localhost`;
    const member = (userId: string) =>
      asUser<{ membership: string; displayname?: string }>(
        alice,
        'GET',
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(userId)}`,
      ).catch(() => undefined);
    const carol = await ircUser(carolNick, channel);
    try {
      const joined = await waitFor(
        async () =>
          (await member(carolGhost))?.membership === 'join' ? member(carolGhost) : undefined,
        20_000,
        'the ghost to join',
      );
      expect(joined?.displayname).toBe(carolNick);
      irc.client.raw(`TOPIC ${channel} :a new topic`);
      await waitFor(
        async () => {
          const t = await asUser<{ topic: string }>(
            alice,
            'GET',
            `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.topic/`,
          );
          return t.topic === 'a new topic';
        },
        20_000,
        'the room topic to follow TOPIC',
      );
      carol.client.part(channel, 'see you');
      await waitFor(
        async () => (await member(carolGhost))?.membership === 'leave',
        20_000,
        'the ghost to leave',
      );
    } finally {
      carol.client.quit('bye');
    }
  });

  it('gives a puppet another nick when its nick is taken, and still bridges the real owner of that nick', async () => {
    const carl = await registerUser(uniqueLocalpart('carl'));
    const taken = defaultPuppetNick(carl.userId);
    const squatter = await ircUser(taken, channel);
    try {
      await asUser(carl, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
      await asUser(
        carl,
        'PUT',
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/c${Date.now()}`,
        { msgtype: 'm.text', body: 'carl speaks' },
      );
      const e = await waitFor(
        () => irc.heard.find((m) => m.message === 'carl speaks'),
        20_000,
        "the collided puppet's message",
      );
      expect(e.nick).toBe(`${taken}_`);
      // The real `carl…[m]` is not one of ours: what they say is bridged, from their own ghost.
      squatter.client.say(channel, 'i am the real one');
      const ghostOfSquatter = `@irc_test_${taken.toLowerCase().replace('[', '=5b').replace(']', '=5d')}:localhost`;
      await waitFor(
        async () =>
          (await roomEvents(alice, roomId)).find(
            (m) => m.sender === ghostOfSquatter && m.content.body === 'i am the real one',
          ),
        20_000,
        "the real owner's message",
      );
    } finally {
      squatter.client.quit('bye');
    }
  });

  it('answers third-party protocol queries with one instance per network', async () => {
    const protocols = await asUser<
      Record<string, { instances: { network_id: string; fields: Record<string, string> }[] }>
    >(alice, 'GET', '/_matrix/client/v3/thirdparty/protocols');
    expect(protocols.irc?.instances.map((i) => i.network_id)).toEqual(['test']);
    const locations = await asUser<{ alias: string }[]>(
      alice,
      'GET',
      `/_matrix/client/v3/thirdparty/location/irc?network=test&channel=${encodeURIComponent(channel)}`,
    );
    expect(locations.map((l) => l.alias)).toEqual([`#irc_test_${channel}:localhost`]);
  });

  it("never brings the puppets' own lines back to Matrix", async () => {
    await send({ msgtype: 'm.text', body: 'loop check' });
    await heardFromPuppet((m) => m.message === 'loop check', 'the loop-check line on IRC');
    irc.client.say(channel, 'after loop check'); // IRC is ordered: once this arrives, the bridge heard everything before it
    await fromGhost((e) => e.content.body === 'after loop check', 'the marker message');
    const events = await roomEvents(alice, roomId, 200);
    const messages = events.filter((e) => e.type === 'm.room.message');
    const senders = new Set(messages.map((e) => e.sender));
    // Alice, Bob's ghost, and (from the nick-collision test) Carl and the real owner of Carl's nick: no puppet.
    expect([...senders].filter((u) => u === alice.userId || u === ghost).sort()).toEqual(
      [alice.userId, ghost].sort(),
    );
    // No ghost of a puppet in any event at all (messages, joins, leaves): not even their JOINs and QUITs come back.
    // Alice's puppet is `alice…[m]`, Carl's `carl…[m]_` (the real `carl…[m]` is an IRC user with a ghost).
    const isPuppetGhost = (u?: string) =>
      !!u && (u.startsWith('@irc_test_alice') || u.endsWith('=5bm=5d_:localhost'));
    expect(events.filter((e) => isPuppetGhost(e.sender) || isPuppetGhost(e.state_key))).toEqual([]);
    expect(messages.filter((e) => e.content.body === 'loop check')).toHaveLength(1);
  });
});
