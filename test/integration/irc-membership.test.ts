// Matrix memberships in an IRC channel room, against real InspIRCd and Synapse: a Matrix user who
// joins the room appears in the channel before saying anything (their puppet connects on join),
// and leaving the room PARTs the channel with a reason that cannot smuggle a second command.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IrcConnector } from '../../bridges/irc/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, joinAlias, startBridge } from '../support/bridge-harness.js';
import { ircPort, ircUser } from '../support/irc-user.js';
import {
  registerUser,
  requireSynapse,
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
    bridge = await startBridge({
      connectors: [new IrcConnector()],
      bridges: {
        irc: {
          enabled: true,
          networks: { test: { host: '127.0.0.1', port: ircPort(), tls: false } },
        },
      },
    });
    carol = await registerUser(uniqueLocalpart('carol'));
    puppetNick = `${carol.userId.slice(1, carol.userId.indexOf(':'))}[m]`;
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
});
