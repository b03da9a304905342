// Memberships and modes of IRC channel rooms, against real InspIRCd and Synapse: a Matrix user who
// joins the room appears in the channel before saying anything (their puppet connects on join),
// and leaving the room PARTs the channel with a reason that cannot smuggle a second command; kicks,
// bans and unbans of ghosts reach IRC; channel operators are power level 50 in the room; a Matrix
// user kicked on IRC is kicked from the room; keyed (+k) and secret (+s) channels; the room's join
// rule follows +i.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, joinAlias, roomEvents, sendText } from '../support/bridge-harness.js';
import { defaultPuppetNick, ircUser, type IrcUser, startIrcBridge } from '../support/irc-user.js';
import {
  registerUser,
  requireSynapse,
  testRegistration,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

const BOT = '@switchboard:localhost';
const bot = () => ({ accessToken: testRegistration().as_token });
/** An IRC line's parameters without the colon of the last one (InspIRCd writes `+b :mask`). */
const flat = (line: string) => line.replaceAll(' :', ' ');

type PowerLevels = { users?: Record<string, number> };
const powerLevels = (roomId: string) =>
  asUser<PowerLevels>(
    bot(),
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.power_levels`,
  );

describe('IRC bridge: Matrix memberships (InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#members${suffix}`;
  const keyed = `#cfgkey${suffix}`;
  let bridge: Switchboard;
  let carol: TestUser;
  let puppetNick: string;
  let irc: Awaited<ReturnType<typeof ircUser>>;
  let kim: IrcUser;

  beforeAll(async () => {
    requireSynapse();
    // A +k channel in the config: the bot must join it with its key.
    kim = await ircUser(`Kim${suffix}`, keyed);
    kim.client.raw(`MODE ${keyed} +k cfg-secret`);
    await waitFor(() => kim.raw.find((l) => / MODE /.test(l) && /\+k/.test(l)), 10_000, '+k');
    bridge = await startIrcBridge({ channels: [{ name: keyed, key: 'cfg-secret' }] });
    carol = await registerUser(uniqueLocalpart('carol'));
    puppetNick = defaultPuppetNick(carol.userId);
    irc = await ircUser(`Dave${suffix}`, channel);
  }, 120_000);

  afterAll(async () => {
    irc?.client.quit();
    kim?.client.quit();
    await bridge?.stop();
  });

  it('IRC users already in the channel are in the room; a Matrix user who joins is in the channel before saying anything, and leaving parts it', async () => {
    const roomId = await joinAlias(carol, `#irc_test_${channel}:localhost`);
    await waitFor(
      async () => (await irc.names(channel)).some((n) => n.replace(/^[~&@%+]+/, '') === puppetNick),
      30_000,
      `${puppetNick} in ${channel} without speaking`,
    );
    // Dave was in the channel before the room existed: his ghost is in the room without speaking.
    const ghost = `@irc_test_dave${suffix}:localhost`;
    await waitFor(
      async () => {
        const { joined } = await asUser<{ joined: Record<string, unknown> }>(
          carol,
          'GET',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`,
        );
        return ghost in joined;
      },
      30_000,
      `${ghost} in the room from the channel's NAMES`,
    );
    await asUser(carol, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/leave`, {
      reason: 'bye\r\nPRIVMSG #other :injected',
    });
    const part = await waitFor(
      () => irc.raw.find((l) => l.includes(`:${puppetNick}!`) && / PART /.test(l)),
      20_000,
      `${puppetNick} parting ${channel}`,
    );
    // The reason's line break became a space: one PART line, no second command.
    expect(part).toContain('Left the Matrix room: bye PRIVMSG #other :injected');
    expect(await irc.names(channel)).not.toContain(puppetNick);
  }, 90_000);

  it('a Matrix kick and ban of the ghost of an IRC user are KICK and +b by the kicker, who must be op on IRC', async () => {
    const kickChannel = `#kick${suffix}`;
    const op = await ircUser(`Erin${suffix}`, kickChannel); // first in: channel operator
    const victim = await ircUser(`Fred${suffix}`, kickChannel);
    try {
      const roomId = await joinAlias(carol, `#irc_test_${kickChannel}:localhost`);
      const room = encodeURIComponent(roomId);
      await waitFor(
        async () => (await op.names(kickChannel)).some((n) => n.endsWith(puppetNick)),
        30_000,
        `${puppetNick} in ${kickChannel}`,
      );
      // Carol may kick in Matrix (the bridge bot, the room's creator, gives her the level).
      const bot = { accessToken: testRegistration().as_token };
      const levels = await asUser<{ users?: Record<string, number> }>(
        bot,
        'GET',
        `/_matrix/client/v3/rooms/${room}/state/m.room.power_levels`,
      );
      await asUser(bot, 'PUT', `/_matrix/client/v3/rooms/${room}/state/m.room.power_levels`, {
        ...levels,
        users: { ...levels.users, [carol.userId]: 50 },
      });
      const ghost = `@irc_test_fred${suffix}:localhost`;
      const ghostInRoom = async () =>
        ghost in
        (
          await asUser<{ joined: Record<string, unknown> }>(
            carol,
            'GET',
            `/_matrix/client/v3/rooms/${room}/joined_members`,
          )
        ).joined;
      await waitFor(ghostInRoom, 30_000, `${ghost} in the room`);

      // Not op on IRC: IRC refuses, and Carol is told so in the room.
      await asUser(carol, 'POST', `/_matrix/client/v3/rooms/${room}/kick`, {
        user_id: ghost,
        reason: 'first try',
      });
      await waitFor(
        async () =>
          (await roomEvents(carol, roomId)).find(
            (e) => e.type === 'm.room.message' && /refused to kick/i.test(String(e.content.body)),
          ),
        30_000,
        'a notice that IRC refused the kick',
      );
      expect((await victim.names(kickChannel)).some((n) => n.endsWith(`Fred${suffix}`))).toBe(true);
      // Fred is still in the channel, so his ghost is back in the room.
      await waitFor(ghostInRoom, 30_000, `${ghost} back in the room after the refused kick`);

      // Op on IRC: the ban is +b and KICK by Carol's nick.
      op.client.raw(`MODE ${kickChannel} +o ${puppetNick}`);
      await waitFor(
        () =>
          op.raw.find(
            (l) => / MODE /.test(l) && l.replaceAll(' :', ' ').includes(`+o ${puppetNick}`),
          ),
        20_000,
        `${puppetNick} opped`,
      );
      await asUser(carol, 'POST', `/_matrix/client/v3/rooms/${room}/ban`, {
        user_id: ghost,
        reason: 'spam',
      });
      const kickLine = await waitFor(
        () => op.raw.find((l) => l.includes(`:${puppetNick}!`) && / KICK /.test(l)),
        20_000,
        'the KICK on IRC',
      );
      expect(kickLine).toContain(`KICK ${kickChannel} Fred${suffix} :spam`);
      // InspIRCd writes the last parameter with a colon (`+b :nick!*@*`).
      expect(
        op.raw.some(
          (l) => / MODE /.test(l) && l.replaceAll(' :', ' ').includes(`+b Fred${suffix}!*@*`),
        ),
      ).toBe(true);

      // Unbanning in Matrix lifts that ban on IRC, by Carol's nick.
      await asUser(carol, 'POST', `/_matrix/client/v3/rooms/${room}/unban`, { user_id: ghost });
      await waitFor(
        () =>
          op.raw.find(
            (l) =>
              l.includes(`:${puppetNick}!`) &&
              / MODE /.test(l) &&
              flat(l).includes(`-b Fred${suffix}!*@*`),
          ),
        20_000,
        'the -b on IRC',
      );

      // As an operator Carol may also set the topic: a Matrix topic change is TOPIC by her nick.
      await asUser(carol, 'PUT', `/_matrix/client/v3/rooms/${room}/state/m.room.topic`, {
        topic: 'new topic\r\nQUIT :gone',
      });
      const topicLine = await waitFor(
        () => op.raw.find((l) => l.includes(`:${puppetNick}!`) && / TOPIC /.test(l)),
        20_000,
        'the TOPIC on IRC',
      );
      expect(topicLine.replaceAll(' :', ' ')).toContain(`TOPIC ${kickChannel} new topic QUIT gone`);
    } finally {
      op.client.quit();
      victim.client.quit();
    }
  }, 120_000);

  it('typing crosses both ways as IRCv3 +typing', async () => {
    const typeChannel = `#type${suffix}`;
    const gina = await ircUser(`Gina${suffix}`, typeChannel);
    try {
      const roomId = await joinAlias(carol, `#irc_test_${typeChannel}:localhost`);
      const room = encodeURIComponent(roomId);
      await waitFor(
        async () => (await gina.names(typeChannel)).includes(puppetNick),
        30_000,
        `${puppetNick} in ${typeChannel}`,
      );
      const typing = (on: boolean) =>
        asUser(
          carol,
          'PUT',
          `/_matrix/client/v3/rooms/${room}/typing/${encodeURIComponent(carol.userId)}`,
          {
            typing: on,
            ...(on ? { timeout: 30_000 } : {}),
          },
        );
      const tagLine = (state: string) =>
        gina.raw.find(
          (l) =>
            l.includes(`+typing=${state}`) && l.includes(`:${puppetNick}!`) && / TAGMSG /.test(l),
        );
      await typing(true);
      await waitFor(() => tagLine('active'), 20_000, 'Carol typing on IRC');
      await typing(false);
      await waitFor(() => tagLine('done'), 20_000, 'Carol done typing on IRC');

      const ghost = `@irc_test_gina${suffix}:localhost`;
      // Typing is ephemeral: it shows in incremental syncs, which start where the last one ended.
      type Sync = {
        next_batch: string;
        rooms?: {
          join?: Record<
            string,
            { ephemeral?: { events?: { type: string; content: { user_ids?: string[] } }[] } }
          >;
        };
      };
      let since = (await asUser<Sync>(carol, 'GET', '/_matrix/client/v3/sync?timeout=0'))
        .next_batch;
      let typingNow: string[] = [];
      const typingInRoom = async () => {
        const sync = await asUser<Sync>(
          carol,
          'GET',
          `/_matrix/client/v3/sync?timeout=2000&since=${encodeURIComponent(since)}`,
        );
        since = sync.next_batch;
        const events = sync.rooms?.join?.[roomId]?.ephemeral?.events ?? [];
        const latest = events.filter((e) => e.type === 'm.typing').at(-1);
        if (latest) typingNow = latest.content.user_ids ?? [];
        return typingNow;
      };
      gina.client.raw(`@+typing=active TAGMSG ${typeChannel}`);
      await waitFor(
        async () => (await typingInRoom()).includes(ghost),
        30_000,
        `${ghost} typing in the room`,
      );
      gina.client.raw(`@+typing=done TAGMSG ${typeChannel}`);
      await waitFor(
        async () => !(await typingInRoom()).includes(ghost),
        30_000,
        `${ghost} no longer typing`,
      );
    } finally {
      gina.client.quit();
    }
  }, 120_000);

  it('the room follows the channel: +i makes it invite-only, -i open to anyone again', async () => {
    const shutChannel = `#shut${suffix}`;
    const oona = await ircUser(`Oona${suffix}`, shutChannel); // first in: channel operator
    const joinRule = (roomId: string) =>
      asUser<{ join_rule: string }>(
        bot(),
        'GET',
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.join_rules`,
      ).then((c) => c.join_rule);
    const mode = async (change: string) => {
      oona.client.raw(`MODE ${shutChannel} ${change}`);
      await waitFor(
        () =>
          oona.raw.find(
            (l) => / MODE /.test(l) && flat(l).trimEnd().endsWith(`${shutChannel} ${change}`),
          ),
        10_000,
        `MODE ${change}`,
      );
    };
    try {
      const roomId = await joinAlias(carol, `#irc_test_${shutChannel}:localhost`);
      expect(await joinRule(roomId)).toBe('public');
      await mode('+i');
      await waitFor(
        async () => (await joinRule(roomId)) === 'invite',
        20_000,
        'an invite-only room',
      );
      await mode('-i');
      await waitFor(async () => (await joinRule(roomId)) === 'public', 20_000, 'a public room');
    } finally {
      oona.client.quit();
    }
  });

  it('channel operators are power level 50: from NAMES in one event, then from MODE +o and -o', async () => {
    const opsChannel = `#ops${suffix}`;
    const opal = await ircUser(`Opal${suffix}`, opsChannel); // first in: channel operator
    const olga = await ircUser(`Olga${suffix}`, opsChannel);
    const vic = await ircUser(`Vic${suffix}`, opsChannel);
    const ghost = (nick: string) => `@irc_test_${nick.toLowerCase()}${suffix}:localhost`;
    try {
      opal.client.raw(`MODE ${opsChannel} +o Olga${suffix}`);
      await waitFor(
        () => opal.raw.find((l) => / MODE /.test(l) && flat(l).includes(`+o Olga${suffix}`)),
        10_000,
        'Olga opped',
      );
      const roomId = await joinAlias(carol, `#irc_test_${opsChannel}:localhost`);
      const levels = await waitFor(
        async () => {
          const users = (await powerLevels(roomId)).users ?? {};
          return users[ghost('opal')] === 50 && users[ghost('olga')] === 50 ? users : undefined;
        },
        30_000,
        'both operators at level 50',
      );
      expect(levels[ghost('vic')]).toBeUndefined();
      // The whole NAMES list is one m.room.power_levels event (not one per operator).
      const withGhosts = (await roomEvents(carol, roomId)).filter(
        (e) =>
          e.type === 'm.room.power_levels' &&
          Object.keys((e.content.users as Record<string, number>) ?? {}).some((u) =>
            u.startsWith('@irc_test_'),
          ),
      );
      expect(withGhosts).toHaveLength(1);
      expect(withGhosts[0]!.sender).toBe(BOT);

      opal.client.raw(`MODE ${opsChannel} +o Vic${suffix}`);
      await waitFor(
        async () => (await powerLevels(roomId)).users?.[ghost('vic')] === 50,
        30_000,
        'Vic at level 50 after +o',
      );
      opal.client.raw(`MODE ${opsChannel} -o Olga${suffix}`);
      await waitFor(
        async () => !(ghost('olga') in ((await powerLevels(roomId)).users ?? {})),
        30_000,
        "Olga's level gone after -o",
      );
      expect((await powerLevels(roomId)).users?.[ghost('opal')]).toBe(50);

      // A Matrix user whose connection is kicked on IRC is kicked from the room, with the reason.
      await waitFor(
        async () => (await opal.names(opsChannel)).some((n) => n.endsWith(puppetNick)),
        30_000,
        `${puppetNick} in ${opsChannel}`,
      );
      opal.client.raw(`KICK ${opsChannel} ${puppetNick} :behave`);
      const member = await waitFor(
        async () => {
          const m = await asUser<{ membership: string; reason?: string }>(
            bot(),
            'GET',
            `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(carol.userId)}`,
          );
          return m.membership === 'leave' ? m : undefined;
        },
        30_000,
        'Carol kicked from the room',
      );
      expect(member.reason).toBe(`kicked on IRC by Opal${suffix}: behave`);
      // Joining the room again joins the channel again.
      await asUser(carol, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
      await waitFor(
        async () => (await opal.names(opsChannel)).some((n) => n.endsWith(puppetNick)),
        30_000,
        `${puppetNick} back in ${opsChannel}`,
      );
    } finally {
      opal.client.quit();
      olga.client.quit();
      vic.client.quit();
    }
  }, 150_000);

  it('keyed (+k) channels: the bot joins one from the config with its key, and `irc join … <key>` remembers one for puppets', async () => {
    await waitFor(
      async () => (await kim.names(keyed)).includes('switchboard'),
      30_000,
      `the bot in ${keyed} (+k, key from the config)`,
    );

    const cmdKeyed = `#cmdkey${suffix}`;
    const kai = await ircUser(`Kai${suffix}`, cmdKeyed);
    try {
      kai.client.raw(`MODE ${cmdKeyed} +k cmd-secret`);
      await waitFor(() => kai.raw.find((l) => / MODE /.test(l) && /\+k/.test(l)), 10_000, '+k');
      const dm = await managementRoom(carol);
      expect(await command(carol, dm, `irc join test ${cmdKeyed} a,b`)).toBe(
        'That key cannot be used: a channel key is 1 to 64 characters without spaces, commas, CR, LF or NUL.',
      );
      const answer = await command(carol, dm, `irc join test ${cmdKeyed} cmd-secret`);
      const roomId = /bridged to (!\S+) /.exec(answer)?.[1];
      expect(roomId, answer).toBeDefined();
      await waitFor(
        async () => (await kai.names(cmdKeyed)).includes('switchboard'),
        30_000,
        `the bot in ${cmdKeyed}`,
      );
      // Carol's connection joins with the remembered key when she speaks.
      await asUser(carol, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId!)}`, {});
      await sendText(carol, roomId!, 'through the key');
      await waitFor(
        () => kai.heard.find((e) => e.nick === puppetNick && e.message === 'through the key'),
        30_000,
        "Carol's message in the keyed channel",
      );
    } finally {
      kai.client.quit();
    }
  }, 120_000);

  it('secret (+s) and invite-only (+i) channels get invite-only rooms, and `irc join` invites its user', async () => {
    const secret = `#secret${suffix}`;
    const sam = await ircUser(`Sam${suffix}`, secret);
    try {
      sam.client.raw(`MODE ${secret} +s`);
      await waitFor(() => sam.raw.find((l) => / MODE /.test(l) && /\+s/.test(l)), 10_000, '+s');
      const dm = await managementRoom(carol);
      const answer = await command(carol, dm, `irc join test ${secret}`);
      const roomId = /bridged to (!\S+) /.exec(answer)?.[1];
      expect(roomId, answer).toBeDefined();
      const rules = await asUser<{ join_rule: string }>(
        bot(),
        'GET',
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId!)}/state/m.room.join_rules`,
      );
      expect(rules.join_rule).toBe('invite');
      // Invited, Carol can join it.
      await asUser(carol, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId!)}`, {});

      // An invite-only channel (+i) refuses the bot (473): its room is invite-only too.
      const closed = `#closed${suffix}`;
      sam.client.join(closed);
      await waitFor(
        () => sam.raw.find((l) => / JOIN /.test(l) && l.includes(closed)),
        10_000,
        'Sam in',
      );
      sam.client.raw(`MODE ${closed} +i`);
      await waitFor(() => sam.raw.find((l) => / MODE /.test(l) && /\+i/.test(l)), 10_000, '+i');
      const closedAnswer = await command(carol, dm, `irc join test ${closed}`);
      const closedRoom = /bridged to (!\S+) /.exec(closedAnswer)?.[1];
      expect(closedRoom, closedAnswer).toBeDefined();
      const closedRules = await asUser<{ join_rule: string }>(
        bot(),
        'GET',
        `/_matrix/client/v3/rooms/${encodeURIComponent(closedRoom!)}/state/m.room.join_rules`,
      );
      expect(closedRules.join_rule).toBe('invite');
    } finally {
      sam.client.quit();
    }
  }, 120_000);
});

/** The user's management room (a direct chat with the bridge bot), made once per user. */
const managementRooms = new Map<string, Promise<string>>();
function managementRoom(user: TestUser): Promise<string> {
  let room = managementRooms.get(user.userId);
  if (!room) {
    room = (async () => {
      const { room_id } = await asUser<{ room_id: string }>(
        user,
        'POST',
        '/_matrix/client/v3/createRoom',
        { is_direct: true, invite: [BOT], preset: 'trusted_private_chat' },
      );
      await waitFor(
        async () =>
          (await roomEvents(user, room_id)).some(
            (e) => e.sender === BOT && e.content.msgtype === 'm.notice',
          ),
        15_000,
        'the bot to greet the user',
      );
      return room_id;
    })();
    managementRooms.set(user.userId, room);
  }
  return room;
}

/** Types a command in the management room and returns the bot's first notice after it. */
async function command(user: TestUser, dm: string, text: string): Promise<string> {
  const eventId = await sendText(user, dm, text);
  const reply = await waitFor(
    async () => {
      const events = await roomEvents(user, dm);
      const at = events.findIndex((e) => e.event_id === eventId);
      return at < 0
        ? undefined
        : events.slice(at + 1).find((e) => e.sender === BOT && e.content.msgtype === 'm.notice');
    },
    30_000,
    `the bot's answer to "${text}"`,
  );
  return String(reply.content.body);
}
