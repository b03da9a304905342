// Matrix memberships in an IRC channel room, against real InspIRCd and Synapse: a Matrix user who
// joins the room appears in the channel before saying anything (their puppet connects on join),
// and leaving the room PARTs the channel with a reason that cannot smuggle a second command.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, joinAlias, roomEvents } from '../support/bridge-harness.js';
import { defaultPuppetNick, ircUser, startIrcBridge } from '../support/irc-user.js';
import {
  registerUser,
  requireSynapse,
  testRegistration,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

describe('IRC bridge: Matrix memberships (InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#members${suffix}`;
  let bridge: Switchboard;
  let carol: TestUser;
  let puppetNick: string;
  let irc: Awaited<ReturnType<typeof ircUser>>;

  beforeAll(async () => {
    requireSynapse();
    bridge = await startIrcBridge();
    carol = await registerUser(uniqueLocalpart('carol'));
    puppetNick = defaultPuppetNick(carol.userId);
    irc = await ircUser(`Dave${suffix}`, channel);
  }, 120_000);

  afterAll(async () => {
    irc?.client.quit();
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
      await waitFor(
        async () =>
          ghost in
          (
            await asUser<{ joined: Record<string, unknown> }>(
              carol,
              'GET',
              `/_matrix/client/v3/rooms/${room}/joined_members`,
            )
          ).joined,
        30_000,
        `${ghost} in the room`,
      );

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
});
