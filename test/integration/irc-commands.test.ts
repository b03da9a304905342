// The IRC bridge's bot commands, typed by alice in her management room (a direct chat with
// @switchboard:localhost), against real InspIRCd and Synapse: `irc join` opens a channel's room,
// `irc nick` changes her IRC nick (or reports the server's refusal) and is remembered across
// `irc quit` and `irc reconnect`, `irc whois` summarises WHOIS, and the help lists them all.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, roomEvents, sendText } from '../support/bridge-harness.js';
import { BOT, command as botCommand, openManagementRoom } from '../support/management-room.js';
import { ircUser, type IrcUser, startIrcBridge } from '../support/irc-user.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

describe('IRC bot commands (InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#cmd${suffix}`;
  const bobNick = `Bob${suffix}`;
  const chosenNick = `Al${suffix}`;
  let bridge: Switchboard;
  let alice: TestUser;
  let bob: IrcUser;
  let dm: string;
  let roomId: string;
  const say = (room: string, body: string) => sendText(alice, room, body);
  /** Types a command and returns the bot's first notice after it. */
  const command = async (text: string) => (await botCommand(alice, dm, text)).answer;

  beforeAll(async () => {
    requireSynapse();
    bob = await ircUser(bobNick, channel);
    bridge = await startIrcBridge({ bot_nick: `sbc${suffix}` });
    alice = await registerUser(uniqueLocalpart('alice'));
    dm = await openManagementRoom(alice);
  });

  afterAll(async () => {
    bob?.client.quit('bye');
    await bridge?.stop();
  });

  it('`help` lists the IRC commands', async () => {
    const help = await command('help');
    for (const usage of [
      'join <network> <#channel> [key]',
      'nick <network> <nick>',
      'whois <network> <nick>',
      'reconnect <network>',
      'quit <network>',
    ])
      expect(help).toContain(`\`irc ${usage}\``);
  });

  it('answers a wrong network or usage plainly', async () => {
    expect(await command('irc join nowhere #x')).toBe(
      'There is no IRC network `nowhere`. Networks: test.',
    );
    // With one network, its id may be left out: this is the channel `test`.
    expect(await command('irc join test')).toBe('`test` is not a channel name (like #rust).');
    expect(await command('irc join test nochannel')).toBe(
      '`nochannel` is not a channel name (like #rust).',
    );
    expect(await command('irc nick test 9bad')).toBe('`9bad` is not a valid IRC nick.');
  });

  it('`irc join` bridges the channel, invites alice and names the room; IRC is heard there', async () => {
    const answer = await command(`irc join test ${channel}`);
    const match = /bridged to (!\S+) \((#\S+)\)/.exec(answer);
    expect(match, answer).not.toBeNull();
    roomId = match![1]!;
    expect(match![2]).toBe(`#irc_test_${channel}:localhost`);
    await asUser(alice, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
    bob.client.say(channel, 'hello bridged room');
    await waitFor(
      async () =>
        (await roomEvents(alice, roomId)).find((e) => e.content.body === 'hello bridged room'),
      20_000,
      "Bob's message in the joined room",
    );
    // Joining again answers the same room.
    expect(await command(`irc join test ${channel.toUpperCase()}`)).toContain(roomId);
  });

  it('`irc join` of a secret channel whose invite-only room someone else made invites alice in', async () => {
    const secret = `#secret${suffix}`;
    const first = new Promise<void>((resolve) => bob.client.once('join', () => resolve()));
    bob.client.join(secret);
    await first;
    bob.client.raw(`MODE ${secret} +s`);
    await waitFor(() => bob.raw.find((l) => / MODE /.test(l) && l.includes('+s')), 10_000, '+s');
    // Carol's alias query makes the room, invite-only for a secret channel: she cannot enter it.
    const carol = await registerUser(uniqueLocalpart('carol'));
    const alias = encodeURIComponent(`#irc_test_${secret}:localhost`);
    await expect(asUser(carol, 'POST', `/_matrix/client/v3/join/${alias}`, {})).rejects.toThrow(
      /403/,
    );
    const answer = await command(`irc join test ${secret}`);
    const room = /bridged to (!\S+)/.exec(answer)?.[1];
    expect(room, answer).toBeDefined();
    await asUser(alice, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(room!)}`, {});
  });

  it('`irc nick` changes the nick and `irc whois` shows it; a nick in use is refused with the reason', async () => {
    expect(await command(`irc nick test ${chosenNick}`)).toBe(
      `Your nick on test is now ${chosenNick}.`,
    );
    const whois = await command(`irc whois test ${chosenNick}`);
    expect(whois).toContain(`${chosenNick} is `);
    expect(whois).toContain(`(${alice.userId})`); // the real name is the Matrix user id
    expect(await command(`irc nick test ${bobNick}`)).toMatch(
      new RegExp(`^test refused the nick ${bobNick}: .*in use`, 'i'),
    );
    const bobs = await command(`irc whois test ${bobNick}`);
    expect(bobs).toContain(`${bobNick} is tester@`);
    expect(bobs).toContain('(IRC test user)');
    expect(bobs).toContain(channel);
    expect(await command(`irc whois test Nobody${suffix}`)).toBe(
      `Nobody${suffix} is not on IRC now.`,
    );
  });

  it('`irc quit` disconnects; `irc reconnect` connects again with the chosen nick, which messages then use', async () => {
    expect(await command('irc quit test')).toBe('Disconnected from test.');
    await waitFor(
      async () => (await command(`irc whois test ${chosenNick}`)).includes('not on IRC'),
      20_000,
      'the puppet to be gone',
    );
    expect(await command('irc quit test')).toBe('You are not connected to test.');
    expect(await command('irc reconnect test')).toBe(`Connected to test as ${chosenNick}.`);
    expect(await command('irc reconnect test')).toBe(`Connected to test as ${chosenNick}.`);
    await say(roomId, 'said under my chosen nick');
    const heard = await waitFor(
      () => bob.heard.find((e) => e.message === 'said under my chosen nick'),
      20_000,
      'the message on IRC',
    );
    expect(heard.nick).toBe(chosenNick);
    expect(heard.target).toBe(channel);
  });

  it('a connection kicked on IRC is kicked from the room with the reason; joining again joins the channel', async () => {
    const from = bob.raw.length;
    bob.client.raw(`KICK ${channel} ${chosenNick} :behave`);
    const kick = await waitFor(
      async () =>
        (await roomEvents(alice, roomId)).find(
          (e) =>
            e.type === 'm.room.member' &&
            e.state_key === alice.userId &&
            e.content.membership === 'leave',
        ),
      20_000,
      "alice's kick from the room",
    );
    expect(kick.sender).toBe(BOT);
    expect(kick.content.reason).toBe(`kicked on IRC by ${bobNick}: behave`);
    await asUser(alice, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
    await waitFor(
      () =>
        bob.raw
          .slice(from)
          .map((l) => l.replace(/^@\S+ /, '')) // message tags
          .some((l) => l.startsWith(`:${chosenNick}!`) && l.includes(' JOIN ')),
      20_000,
      'her connection to join the channel again',
    );
    await say(roomId, 'back after the kick');
    await waitFor(
      () => bob.heard.find((e) => e.message === 'back after the kick' && e.nick === chosenNick),
      20_000,
      'the message after the kick',
    );
  });
});
