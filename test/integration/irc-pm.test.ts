// Private messages through the IRC bridge, against real InspIRCd and Synapse: an IRC user PMs
// alice's puppet → a direct-chat room is made with alice invited, where the IRC user's ghost
// speaks; what alice says there goes back to that nick as PRIVMSG (in order, line by line);
// emotes and notices keep their kind; nobody else can speak for alice in her PM room; the room
// follows the IRC user's nick changes, and invites alice back when she has left it (the ghost
// invites her to a direct chat she started with it, which the bot is not in).
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { IrcConnector } from '../../bridges/irc/index.js';
import type { MatrixUserId } from '../../src/connector.js';
import { asUser, roomEvents } from '../support/bridge-harness.js';
import { ircUser, type IrcUser, joinPmRoom, heardFrom } from '../support/irc-user.js';
import { ircScope, joinChannelRoom } from '../support/irc-scope.js';
import { requireSynapse, waitFor, type TestUser } from '../support/synapse.js';

describe('IRC private messages (InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#pm${suffix}`;
  const bobNick = `Bob${suffix}`;
  const ghost = `@irc_test_bob${suffix}:localhost`;
  const connector = new IrcConnector();
  let alice: TestUser;
  let bob: IrcUser;
  let puppetNick: string;
  let pmRoom: string;
  let txn = 0;

  const send = (room: string, content: Record<string, unknown>, user = alice) =>
    asUser(
      user,
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/send/m.room.message/p${Date.now()}.${++txn}`,
      content,
    );
  const fromGhost = (body: string) =>
    waitFor(
      async () =>
        (await roomEvents(alice, pmRoom)).find(
          (e) => e.sender === ghost && e.content.body === body,
        ),
      20_000,
      `"${body}" from the ghost`,
    );
  const bobHeard = (body: string) => heardFrom(bob, puppetNick, body);

  const scope = ircScope();

  beforeAll(async () => {
    requireSynapse();
    bob = await scope.user(bobNick, channel);
    ({ user: alice, puppetNick } = await scope.bridgeAndMatrixUser(
      'alice',
      { bot_nick: `sbp${suffix}` },
      connector,
    ));
    // Alice speaks in the channel once, so that her puppet is on IRC for Bob to PM.
    const room = await joinChannelRoom(alice, channel);
    await send(room, { msgtype: 'm.text', body: 'hello channel' });
    await bobHeard('hello channel');
  });

  it('a PM to the puppet makes a direct chat with alice invited, where the ghost speaks', async () => {
    bob.client.say(puppetNick, 'psst, alice');
    pmRoom = await joinPmRoom(connector, alice, bobNick);
    await fromGhost('psst, alice');
    const events = await roomEvents(alice, pmRoom);
    const invite = events.find(
      (e) =>
        e.type === 'm.room.member' &&
        e.state_key === alice.userId &&
        e.content.membership === 'invite',
    );
    expect(invite?.content.is_direct).toBe(true);
    const joinRules = await asUser<{ join_rule: string }>(
      alice,
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(pmRoom)}/state/m.room.join_rules/`,
    );
    expect(joinRules.join_rule).toBe('invite');
  });

  it("alice's replies go to the nick as PRIVMSG, line by line and in order", async () => {
    await send(pmRoom, { msgtype: 'm.text', body: 'hi bob' });
    const e = await bobHeard('hi bob');
    expect(e.target).toBe(bobNick);
    expect(e.type).toBe('privmsg');
    await send(pmRoom, { msgtype: 'm.text', body: 'one\ntwo' });
    await send(pmRoom, { msgtype: 'm.emote', body: 'waves' });
    await bobHeard('waves');
    const order = bob.heard
      .filter((m) => m.nick === puppetNick && m.target === bobNick)
      .map((m) => `${m.type}:${m.message}`);
    expect(order).toEqual(['privmsg:hi bob', 'privmsg:one', 'privmsg:two', 'action:waves']);
  });

  it('keeps the order of what the IRC user says, and the kind (emote, notice)', async () => {
    for (let i = 0; i < 5; i++) bob.client.say(puppetNick, `burst ${i}`);
    bob.client.raw(`PRIVMSG ${puppetNick} :\x01ACTION grins\x01`);
    bob.client.raw(`NOTICE ${puppetNick} :a notice`);
    await fromGhost('a notice');
    const got = (await roomEvents(alice, pmRoom)).filter(
      (e) => e.sender === ghost && e.type === 'm.room.message',
    );
    expect(got.map((e) => `${String(e.content.msgtype)}:${String(e.content.body)}`)).toEqual([
      'm.text:psst, alice',
      ...Array.from({ length: 5 }, (_, i) => `m.text:burst ${i}`),
      'm.emote:grins',
      'm.notice:a notice',
    ]);
  });

  it('the same nick PMs alice again into the same room', async () => {
    bob.client.say(puppetNick, 'still me');
    await fromGhost('still me');
    expect(
      await connector.pmRoomOf('test', bobNick.toUpperCase(), alice.userId as MatrixUserId),
    ).toBe(pmRoom);
  });

  it('alice left the PM room: the next PM from the nick invites her back', async () => {
    const room = encodeURIComponent(pmRoom);
    await asUser(alice, 'POST', `/_matrix/client/v3/rooms/${room}/leave`, {});
    await expect(asUser(alice, 'POST', `/_matrix/client/v3/join/${room}`, {})).rejects.toThrow(
      /403/,
    );
    bob.client.say(puppetNick, 'are you there?');
    // The room is invite-only: she can join again only once the bridge has invited her.
    await waitFor(
      () =>
        asUser(alice, 'POST', `/_matrix/client/v3/join/${room}`, {}).then(
          () => true,
          () => undefined,
        ),
      20_000,
      'alice invited back and joined',
    );
    await fromGhost('are you there?');
  });

  it('a direct chat alice starts with a ghost PMs that nick, and its answers come back there', async () => {
    const carolNick = `Carol${suffix}`;
    const carolGhost = `@irc_test_carol${suffix}:localhost`;
    const carol = await ircUser(carolNick, channel);
    try {
      const room = (
        await asUser<{ room_id: string }>(alice, 'POST', '/_matrix/client/v3/createRoom', {
          is_direct: true,
          invite: [carolGhost],
          preset: 'trusted_private_chat',
        })
      ).room_id;
      await waitFor(
        async () =>
          (await roomEvents(alice, room)).some(
            (e) =>
              e.type === 'm.room.member' &&
              e.state_key === carolGhost &&
              e.content.membership === 'join',
          ),
        20_000,
        'the ghost to accept the invite',
      );
      await send(room, { msgtype: 'm.text', body: 'hi carol' });
      const heard = await waitFor(
        () => carol.heard.find((e) => e.message === 'hi carol'),
        20_000,
        'the PM on IRC',
      );
      expect(heard.nick).toBe(puppetNick);
      expect(heard.target).toBe(carolNick);
      carol.client.say(puppetNick, 'hi alice');
      await waitFor(
        async () =>
          (await roomEvents(alice, room)).find(
            (e) => e.sender === carolGhost && e.content.body === 'hi alice',
          ),
        20_000,
        "carol's answer in the direct chat",
      );
      expect(await connector.pmRoomOf('test', carolNick, alice.userId as MatrixUserId)).toBe(room);
      // Alice leaves; the bot is not in this room, so carol's ghost invites her back to it.
      await asUser(alice, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/leave`, {});
      carol.client.say(puppetNick, 'still there?');
      await waitFor(
        () =>
          asUser(alice, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(room)}`, {}).then(
            () => true,
            () => undefined,
          ),
        20_000,
        'alice invited back to her direct chat and joined',
      );
      await waitFor(
        async () =>
          (await roomEvents(alice, room)).find(
            (e) => e.sender === carolGhost && e.content.body === 'still there?',
          ),
        20_000,
        "carol's next PM in the same direct chat",
      );
    } finally {
      carol.client.quit('bye');
    }
  });

  it("the conversation follows a nick change: same room, the new nick's ghost, replies to the new nick", async () => {
    const newNick = `Robert${suffix}`;
    const newGhost = `@irc_test_robert${suffix}:localhost`;
    bob.client.changeNick(newNick);
    // The puppet shares the channel with bob, so it sees the NICK; the room moves with it.
    await waitFor(
      async () =>
        (await connector.pmRoomOf('test', newNick, alice.userId as MatrixUserId)) === pmRoom,
      20_000,
      'the PM room to follow the nick',
    );
    bob.client.say(puppetNick, 'still me');
    await waitFor(
      async () =>
        (await roomEvents(alice, pmRoom)).find(
          (e) => e.sender === newGhost && e.content.body === 'still me',
        ),
      20_000,
      '"still me" from the new ghost in the same room',
    );
    await send(pmRoom, { msgtype: 'm.text', body: 'hi robert' });
    const heard = await bobHeard('hi robert');
    expect(heard.target).toBe(newNick);
    const members = await asUser<{ joined: Record<string, unknown> }>(
      alice,
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(pmRoom)}/joined_members`,
    );
    expect(Object.keys(members.joined)).not.toContain(ghost);
    expect(await connector.pmRoomOf('test', bobNick, alice.userId as MatrixUserId)).toBeUndefined();
  });
});
