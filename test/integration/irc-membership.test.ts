// Matrix memberships in IRC channel rooms, against real InspIRCd and Synapse: a Matrix user who
// joins the room appears in the channel before saying anything (their puppet connects on join),
// and leaving the room PARTs the channel with a reason that cannot smuggle a second command; kicks,
// bans and unbans of ghosts reach IRC (and a topic set by an operator). Typing: irc-typing; power
// levels: irc-power-levels; keyed, secret and invite-only channels: irc-channel-access.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { asUser, joinedMembers, roomEvents } from '../support/bridge-harness.js';
import { bot, powerLevels } from '../support/room-levels.js';
import { flat, ircUser, type IrcUser } from '../support/irc-user.js';
import { ircScope, joinChannelRoom } from '../support/irc-scope.js';
import { waitFor, type TestUser } from '../support/synapse.js';

describe('IRC bridge: Matrix memberships (InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const scope = ircScope();
  let carol: TestUser;
  let puppetNick: string;
  const channel = `#members${suffix}`;
  let irc: IrcUser;

  beforeAll(async () => {
    ({ user: carol, puppetNick } = await scope.bridgeAndMatrixUser('carol'));
    irc = await scope.user(`Dave${suffix}`, channel);
  }, 120_000);

  it('IRC users already in the channel are in the room; a Matrix user who joins is in the channel before saying anything, and leaving parts it', async () => {
    const roomId = await joinChannelRoom(carol, channel);
    await waitFor(
      async () => (await irc.names(channel)).some((n) => n.replace(/^[~&@%+]+/, '') === puppetNick),
      30_000,
      `${puppetNick} in ${channel} without speaking`,
    );
    // Dave was in the channel before the room existed: his ghost is in the room without speaking.
    const ghost = `@irc_test_dave${suffix}:localhost`;
    await waitFor(
      async () => (await joinedMembers(carol, roomId)).includes(ghost),
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
      const roomId = await joinChannelRoom(carol, kickChannel);
      const room = encodeURIComponent(roomId);
      await waitFor(
        async () => (await op.names(kickChannel)).some((n) => n.endsWith(puppetNick)),
        30_000,
        `${puppetNick} in ${kickChannel}`,
      );
      // Carol may kick in Matrix (the bridge bot, the room's creator, gives her the level).
      const levels = await powerLevels(roomId);
      await asUser(bot(), 'PUT', `/_matrix/client/v3/rooms/${room}/state/m.room.power_levels`, {
        ...levels,
        users: { ...levels.users, [carol.userId]: 50 },
      });
      const ghost = `@irc_test_fred${suffix}:localhost`;
      const ghostInRoom = async () => (await joinedMembers(carol, roomId)).includes(ghost);
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
        () => op.raw.find((l) => / MODE /.test(l) && flat(l).includes(`+o ${puppetNick}`)),
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
      expect(op.raw.some((l) => / MODE /.test(l) && flat(l).includes(`+b Fred${suffix}!*@*`))).toBe(
        true,
      );

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
      expect(flat(topicLine)).toContain(`TOPIC ${kickChannel} new topic QUIT gone`);
    } finally {
      op.client.quit();
      victim.client.quit();
    }
  }, 120_000);
});
