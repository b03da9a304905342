// The IRC bridge against ngIRCd, a minimal RFC-only server (no server-time, no message tags, no
// SASL), and real Synapse: the basic round trip still works there. A Matrix user talks in the
// channel's room and a real IRC client answers; the IRC user's nick change is their old ghost
// leaving and the new one joining; a PM from IRC becomes a direct chat, and the reply goes back.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { IrcConnector } from '../../bridges/irc/index.js';
import { roomEvents, sendText, type RoomEvent } from '../support/bridge-harness.js';
import { type IrcUser, ngircdPort, joinPmRoom, heardFrom } from '../support/irc-user.js';
import { ircScope, joinChannelRoom } from '../support/irc-scope.js';
import { requireSynapse, waitFor, type TestUser } from '../support/synapse.js';

describe('IRC bridge on ngIRCd (RFC-only server) + Synapse', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#ng${suffix}`;
  const bobNick = `Bob${suffix}`;
  const robNick = `Rob${suffix}`;
  const ghostOf = (nick: string) => `@irc_test_${nick.toLowerCase()}:localhost`;
  const connector = new IrcConnector();
  let alice: TestUser;
  let bob: IrcUser;
  let puppetNick: string;
  let roomId: string;

  const inRoom = (room: string, predicate: (e: RoomEvent) => boolean, what: string) =>
    waitFor(async () => (await roomEvents(alice, room)).find(predicate), 20_000, what);
  const bobHeard = (body: string) => heardFrom(bob, puppetNick, body);

  const scope = ircScope();

  beforeAll(async () => {
    requireSynapse();
    bob = await scope.user(bobNick, channel, ngircdPort());
    ({ user: alice, puppetNick } = await scope.bridgeAndMatrixUser(
      'alice',
      { port: ngircdPort(), bot_nick: `sbn${suffix}` },
      connector,
    ));
    roomId = await joinChannelRoom(alice, channel);
  });

  it('Matrix → IRC: a message is said in the channel by the sender’s puppet', async () => {
    await sendText(alice, roomId, 'hello ngircd');
    const e = await bobHeard('hello ngircd');
    expect(e.target).toBe(channel);
    expect(e.type).toBe('privmsg');
  });

  it("IRC → Matrix: the nick's ghost says it in the room", async () => {
    bob.client.say(channel, 'hello matrix');
    const e = await inRoom(
      roomId,
      (ev) => ev.sender === ghostOf(bobNick) && ev.content.body === 'hello matrix',
      "Bob's message in the room",
    );
    expect(e.content.msgtype).toBe('m.text');
  });

  it('a nick change: the old ghost leaves, the new one joins and speaks', async () => {
    bob.client.changeNick(robNick);
    const membership = (userId: string, what: string) =>
      inRoom(
        roomId,
        (ev) =>
          ev.type === 'm.room.member' &&
          ev.state_key === userId &&
          ev.content.membership === (what === 'join' ? 'join' : 'leave'),
        `${userId} to ${what}`,
      );
    await membership(ghostOf(bobNick), 'leave');
    await membership(ghostOf(robNick), 'join');
    bob.client.say(channel, 'renamed');
    await inRoom(
      roomId,
      (ev) => ev.sender === ghostOf(robNick) && ev.content.body === 'renamed',
      'the message under the new nick',
    );
  });

  it('a PM from IRC becomes a direct chat; the reply goes back to the nick', async () => {
    bob.client.say(puppetNick, 'psst');
    const pmRoom = await joinPmRoom(connector, alice, robNick);
    await inRoom(
      pmRoom,
      (ev) => ev.sender === ghostOf(robNick) && ev.content.body === 'psst',
      'the PM in the direct chat',
    );
    await sendText(alice, pmRoom, 'hi rob');
    const e = await bobHeard('hi rob');
    expect(e.target).toBe(robNick);
    expect(e.type).toBe('privmsg');
  });
});
