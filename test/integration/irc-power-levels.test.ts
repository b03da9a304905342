// Channel operators and power levels, against real InspIRCd and Synapse: operators are power level
// 50 in the room (from NAMES in one event, then from MODE +o / -o), and a Matrix user kicked on
// IRC is kicked from the room with the reason; joining the room again joins the channel again.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { asUser, roomEvents, roomState } from '../support/bridge-harness.js';
import { BOT } from '../support/management-room.js';
import { bot, powerLevels } from '../support/room-levels.js';
import { flat, ircUser } from '../support/irc-user.js';
import { ircScope, joinChannelRoom } from '../support/irc-scope.js';
import { waitFor, type TestUser } from '../support/synapse.js';

describe('IRC bridge: operators as power levels (InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const scope = ircScope();
  let carol: TestUser;
  let puppetNick: string;

  beforeAll(async () => {
    ({ user: carol, puppetNick } = await scope.bridgeAndMatrixUser('carol'));
  }, 120_000);

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
      const roomId = await joinChannelRoom(carol, opsChannel);
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
          const m = await roomState<{ membership: string; reason?: string }>(
            bot(),
            roomId,
            'm.room.member',
            carol.userId,
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
});
