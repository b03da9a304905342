// Matrix features IRC has no equivalent for, against real InspIRCd and real Synapse, as IRC and
// Matrix users see them: a reply is one IRC line that quotes the start of its original, an edit is
// said again as `* corrected`, `nick: …` from IRC pings the Matrix user (a pill with m.mentions),
// and a network in relay mode has the bot say `<name> text` with no puppet connecting.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Heard, type IrcUser } from '../support/irc-user.js';
import { ircScope, joinChannelRoom } from '../support/irc-scope.js';
import { roomEvents, sendAs, type RoomEvent } from '../support/bridge-harness.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

const reply = (to: string, toSender: string, original: string, body: string) => ({
  msgtype: 'm.text',
  // The fallback older clients still send: it must not reach IRC.
  body: `> <${toSender}> ${original}\n\n${body}`,
  'm.relates_to': { 'm.in_reply_to': { event_id: to } },
});

const edit = (of: string, body: string) => ({
  msgtype: 'm.text',
  body: `* ${body}`,
  'm.new_content': { msgtype: 'm.text', body },
  'm.relates_to': { rel_type: 'm.replace', event_id: of },
});

describe('IRC messages: replies, edits, mentions (InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#msgs${suffix}`;
  const bobNick = `Bob${suffix}`;
  const carolNick = `Carol${suffix}`;
  const bobGhost = `@irc_test_bob${suffix}:localhost`;
  const scope = ircScope();
  let alice: TestUser;
  let mallory: TestUser;
  let puppetNick: string;
  let roomId: string;
  let bob: IrcUser;
  let carol: IrcUser;

  const heardFromPuppet = (predicate: (e: Heard) => boolean, what: string) =>
    waitFor(
      () => bob.heard.find((e) => e.nick === puppetNick && e.target === channel && predicate(e)),
      20_000,
      what,
    );
  const inRoom = (predicate: (e: RoomEvent) => boolean, what: string) =>
    waitFor(async () => (await roomEvents(alice, roomId)).find(predicate), 20_000, what);

  beforeAll(async () => {
    ({ user: alice, puppetNick } = await scope.bridgeAndMatrixUser('alice'));
    mallory = await registerUser(uniqueLocalpart('mallory'));
    bob = await scope.user(bobNick, channel);
    carol = await scope.user(carolNick, channel);
    roomId = await joinChannelRoom(alice, channel);
    await joinChannelRoom(mallory, channel);
    // Alice's puppet is on IRC once she has spoken.
    await sendAs(alice, roomId, { msgtype: 'm.text', body: 'hi all' });
    await heardFromPuppet((m) => m.message === 'hi all', "alice's first message");
  });

  it("quotes the start of an IRC user's message in a reply to it, by their nick", async () => {
    const original = 'have you read the release notes draft for version two yet?';
    bob.client.say(channel, original);
    const ghostMessage = await inRoom(
      (e) => e.sender === bobGhost && e.content.body === original,
      "bob's message in Matrix",
    );
    await sendAs(
      alice,
      roomId,
      reply(ghostMessage.event_id, bobGhost, original, 'yes, looks good'),
    );
    const heard = await heardFromPuppet((m) => m.message.endsWith('yes, looks good'), 'the reply');
    expect(heard.message).toBe(
      `<${bobNick}> "have you read the release notes draft…" <- yes, looks good`,
    );
    // The server carries client tags: the reply also points at the original (+draft/reply).
    const bobsLine = await waitFor(
      () => carol.heard.find((e) => e.nick === bobNick && e.message === original),
      20_000,
      "bob's line as carol heard it",
    );
    expect(bobsLine.tags?.msgid).toBeTruthy();
    expect(heard.tags?.['+draft/reply']).toBe(bobsLine.tags?.msgid);
  });

  it('makes an IRC reply (+draft/reply) a Matrix reply that pings the original sender', async () => {
    const question = 'who is bringing snacks?';
    await sendAs(alice, roomId, { msgtype: 'm.text', body: question });
    const asked = await heardFromPuppet((m) => m.message === question, 'the question on IRC');
    const original = await inRoom((e) => e.content.body === question, 'the question in Matrix');
    bob.client.raw(`@+draft/reply=${asked.tags!.msgid} PRIVMSG ${channel} :me!`);
    const answer = await inRoom(
      (e) => e.sender === bobGhost && e.content.body === 'me!',
      "bob's answer in Matrix",
    );
    expect(answer.content['m.relates_to']).toEqual({
      'm.in_reply_to': { event_id: original.event_id },
    });
    expect(answer.content['m.mentions']).toEqual({ user_ids: [alice.userId] });
  });

  it("quotes a Matrix user's message by their puppet nick, one line for a multi-line original", async () => {
    const first = await sendAs(alice, roomId, {
      msgtype: 'm.text',
      body: 'two lines\nof text',
    });
    await heardFromPuppet((m) => m.message === 'of text', 'the two-line message');
    await sendAs(alice, roomId, reply(first, alice.userId, 'two lines', 'replying to myself'));
    const heard = await heardFromPuppet(
      (m) => m.message.endsWith('replying to myself'),
      'the reply to a Matrix message',
    );
    expect(heard.message).toBe(`<${puppetNick}> "two lines of text" <- replying to myself`);
  });

  it('says an edit again as a `* ` correction, and ignores an edit by anyone else', async () => {
    const typo = await sendAs(alice, roomId, { msgtype: 'm.text', body: 'teh plan' });
    await heardFromPuppet((m) => m.message === 'teh plan', 'the message with a typo');
    await sendAs(mallory, roomId, edit(typo, 'a forged plan'));
    await sendAs(alice, roomId, edit(typo, 'the plan'));
    const correction = await heardFromPuppet((m) => m.message === '* the plan', 'the correction');
    expect(correction.type).toBe('privmsg');
    // Mallory's edit came first in the room: had it been said, it would have been heard by now.
    expect(bob.heard.some((m) => m.message.includes('forged'))).toBe(false);
  });

  it('pings the Matrix user an IRC user addresses as `puppet-nick: …` or names anywhere (a pill and m.mentions)', async () => {
    bob.client.say(channel, `${puppetNick}: lunch today?`);
    const event = await inRoom(
      (e) => e.sender === bobGhost && e.content.body === `${puppetNick}: lunch today?`,
      'the addressed message',
    );
    expect(event.content['m.mentions']).toEqual({ user_ids: [alice.userId] });
    expect(event.content.format).toBe('org.matrix.custom.html');
    expect(event.content.formatted_body).toContain(
      `<a href="https://matrix.to/#/${alice.userId}">`,
    );
    expect(event.content.formatted_body).toMatch(/<\/a>: lunch today\?$/);

    // A Matrix user's nick pings them anywhere in a message, not only as its first word.
    bob.client.say(channel, `thanks ${puppetNick}, that helped`);
    const thanks = await inRoom(
      (e) => e.sender === bobGhost && e.content.body === `thanks ${puppetNick}, that helped`,
      'the message naming alice mid-sentence',
    );
    expect(thanks.content['m.mentions']).toEqual({ user_ids: [alice.userId] });
  });

  it("makes `ghost-nick: …` a pill of that IRC user's ghost, and `word: …` nothing", async () => {
    carol.client.say(channel, 'I am here too');
    await inRoom((e) => e.content.body === 'I am here too', "carol's message");
    bob.client.say(channel, `${carolNick}, see above`);
    bob.client.say(channel, 'note: nobody is called note');
    const toCarol = await inRoom(
      (e) => e.sender === bobGhost && e.content.body === `${carolNick}, see above`,
      'the message addressed to carol',
    );
    expect(toCarol.content['m.mentions']).toEqual({
      user_ids: [`@irc_test_carol${suffix}:localhost`],
    });
    const note = await inRoom(
      (e) => e.sender === bobGhost && e.content.body === 'note: nobody is called note',
      'the message that addresses no one',
    );
    expect(note.content['m.mentions']).toEqual({});
    expect(note.content.formatted_body).toBeUndefined();
  });
});

describe('IRC relay mode: the bot speaks for Matrix users (InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#relay${suffix}`;
  const bobNick = `Bob${suffix}`;
  const bobGhost = `@irc_test_bob${suffix}:localhost`;
  const scope = ircScope();
  let dave: TestUser;
  let roomId: string;
  let bob: IrcUser;

  const heardInChannel = (predicate: (e: Heard) => boolean, what: string) =>
    waitFor(() => bob.heard.find((e) => e.target === channel && predicate(e)), 20_000, what);

  beforeAll(async () => {
    requireSynapse();
    await scope.bridge({ mode: 'relay' });
    dave = await registerUser(uniqueLocalpart('dave'), undefined, {
      displayname: 'Dave\nQUIT :injected',
    });
    bob = await scope.user(bobNick, channel);
    roomId = await joinChannelRoom(dave, channel);
  });

  it('has the bot say a message as `<name> text`, the name on one line', async () => {
    await sendAs(dave, roomId, { msgtype: 'm.text', body: 'hello from relay\nsecond line' });
    const first = await heardInChannel((m) => m.message.endsWith('hello from relay'), 'line 1');
    const second = await heardInChannel((m) => m.message.endsWith('second line'), 'line 2');
    expect(first.message).toBe('<Dave QUIT :injected> hello from relay');
    expect(second.message).toBe('<Dave QUIT :injected> second line');
    expect(first.nick.toLowerCase()).toMatch(/^switchboard/);
    expect(first.type).toBe('privmsg');
  });

  it('says an emote as `* name text`, as a plain message of the bot', async () => {
    await sendAs(dave, roomId, { msgtype: 'm.emote', body: 'waves' });
    const emote = await heardInChannel((m) => m.message.endsWith('waves'), 'the emote');
    expect(emote.message).toBe('* Dave QUIT :injected waves');
    expect(emote.type).toBe('privmsg');
  });

  it('relays replies and edits with their prefixes after the name', async () => {
    bob.client.say(channel, 'are you there?');
    const question = await waitFor(
      async () =>
        (await roomEvents(dave, roomId)).find(
          (e) => e.sender === bobGhost && e.content.body === 'are you there?',
        ),
      20_000,
      "bob's question",
    );
    const answer = await sendAs(
      dave,
      roomId,
      reply(question.event_id, bobGhost, 'are you there?', 'yes I am'),
    );
    const replied = await heardInChannel((m) => m.message.endsWith('yes I am'), 'the reply');
    expect(replied.message).toBe(`<Dave QUIT :injected> <${bobNick}> "are you there?" <- yes I am`);
    await sendAs(dave, roomId, edit(answer, 'yes, I am'));
    const fixed = await heardInChannel((m) => m.message.endsWith('yes, I am'), 'the correction');
    expect(fixed.message).toBe('<Dave QUIT :injected> * yes, I am');
  });

  it('connects no puppet: the channel has only the bot and the IRC user', async () => {
    const names = (await bob.names(channel)).map((n) => n.replace(/^[@+%~&]/, '').toLowerCase());
    expect(names).toHaveLength(2);
    expect(names).toContain(bobNick.toLowerCase());
    expect(names.find((n) => n !== bobNick.toLowerCase())).toMatch(/^switchboard/);
  });

  it("brings IRC users' answers back as ghosts, and never the bot's own lines", async () => {
    bob.client.say(channel, 'hi dave');
    await waitFor(
      async () =>
        (await roomEvents(dave, roomId)).find(
          (e) => e.sender === bobGhost && e.content.body === 'hi dave',
        ),
      20_000,
      "bob's answer",
    );
    const bodies = (await roomEvents(dave, roomId))
      .filter((e) => e.type === 'm.room.message')
      .map((e) => `${e.sender} ${String(e.content.body)}`);
    expect(bodies.filter((b) => b.includes('hello from relay'))).toEqual([
      `${dave.userId} hello from relay\nsecond line`,
    ]);
  });
});
