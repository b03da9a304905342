// Netsplits against two real linked InspIRCd servers and Synapse: the bridge's bot sits on the
// first server, an IRC user on the second; the oper splits the second off (SQUIT) and links it
// again (CONNECT). One bridge, two networks on the same server with different graces: with a long
// grace the ghost stays in the room through the split and the netjoin and nothing is sent; with a
// grace of 3 s it leaves once the grace is over, with the split as its reason, and joins again
// after the netjoin.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IrcConnector } from '../../bridges/irc/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, joinAlias, roomEvents, startBridge } from '../support/bridge-harness.js';
import { ircPort, ircUser, type IrcUser } from '../support/irc-user.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

function irc2Port(): number {
  const port = Number(process.env.SWITCHBOARD_TEST_IRC2_PORT);
  if (!port) throw new Error('the second InspIRCd is not running: run `npm test`, which starts it');
  return port;
}

const SPLIT = 'irc.localhost irc2.localhost';
const SHORT_GRACE_S = 3;

describe('IRC bridge: netsplits (two linked InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#split${suffix}`;
  let bridge: Switchboard;
  let carol: TestUser;
  let olga: IrcUser; // an oper on the first server, who splits and links
  let dora: IrcUser; // on the second server
  const rooms = { long: '', short: '' };
  const ghost = (network: string) => `@irc_${network}_dora${suffix}:localhost`;

  const inRoom = async (roomId: string, userId: string) => {
    const { joined } = await asUser<{ joined: Record<string, unknown> }>(
      carol,
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`,
    );
    return userId in joined;
  };
  /** Whether irc2.localhost is linked, as LINKS tells the oper. */
  const linked = async () => {
    const from = olga.raw.length;
    olga.client.raw('LINKS');
    const end = await waitFor(() => olga.raw.slice(from).some((l) => / 365 /.test(l)), 10_000);
    return end && olga.raw.slice(from).some((l) => / 364 \S+ irc2\.localhost /.test(l));
  };
  /** Olga says `text`; resolves when it is in both rooms (so everything before it was bridged). */
  const said = async (text: string) => {
    olga.client.say(channel, text);
    for (const roomId of Object.values(rooms))
      await waitFor(
        async () =>
          (await roomEvents(carol, roomId)).some(
            (e) => e.type === 'm.room.message' && e.content.body === text,
          ),
        30_000,
        `"${text}" in ${roomId}`,
      );
  };
  const doraMemberships = async (roomId: string, after: string) => {
    const events = await roomEvents(carol, roomId);
    const from = events.findIndex((e) => e.content.body === after);
    return events
      .slice(from)
      .filter((e) => e.type === 'm.room.member' && e.state_key?.includes(`dora${suffix}`));
  };

  beforeAll(async () => {
    requireSynapse();
    const network = (bot_nick: string, netsplit_grace_seconds: number) => ({
      host: '127.0.0.1',
      port: ircPort(),
      tls: false,
      bot_nick,
      netsplit_grace_seconds,
    });
    bridge = await startBridge({
      connectors: [new IrcConnector()],
      bridges: {
        irc: {
          enabled: true,
          networks: {
            long: network(`sbl${suffix}`, 600),
            short: network(`sbs${suffix}`, SHORT_GRACE_S),
          },
        },
      },
    });
    olga = await ircUser(`Olga${suffix}`, channel);
    olga.client.raw('OPER root ci');
    await waitFor(() => olga.raw.find((l) => / 381 /.test(l)), 10_000, 'oper (381)');
    if (!(await linked())) {
      olga.client.raw('CONNECT irc2.localhost');
      await waitFor(linked, 30_000, 'irc2.localhost linked');
    }
    dora = await ircUser(`Dora${suffix}`, channel, irc2Port());
    carol = await registerUser(uniqueLocalpart('carol'));
    for (const net of ['long', 'short'] as const) {
      rooms[net] = await joinAlias(carol, `#irc_${net}_${channel}:localhost`);
      await waitFor(() => inRoom(rooms[net], ghost(net)), 30_000, `${ghost(net)} in the room`);
    }
  }, 120_000);

  afterAll(async () => {
    if (olga && !(await linked().catch(() => true))) olga.client.raw('CONNECT irc2.localhost');
    dora?.client.quit();
    olga?.client.quit();
    await bridge?.stop();
  });

  it('a split keeps the ghost with a long grace; with a short one it leaves when the grace is over', async () => {
    const from = olga.raw.length;
    olga.client.raw('SQUIT irc2.localhost :netsplit test');
    const quit = await waitFor(
      () => olga.raw.slice(from).find((l) => l.includes(`:Dora${suffix}!`) && / QUIT /.test(l)),
      30_000,
      'Dora quits in the split',
    );
    expect(quit.trim()).toMatch(new RegExp(` QUIT :${SPLIT}$`));
    const quitAt = Date.parse(/^@(?:\S*;)?time=([^; ]+)/.exec(quit)![1]!);

    // With a 3 s grace the ghost leaves, not before the grace is over, the split as the reason.
    await waitFor(async () => !(await inRoom(rooms.short, ghost('short'))), 30_000, 'ghost left');
    const leave = (await roomEvents(carol, rooms.short))
      .filter((e) => e.type === 'm.room.member' && e.state_key === ghost('short'))
      .at(-1)!;
    expect(leave.content.membership).toBe('leave');
    expect(String(leave.content.reason)).toContain(SPLIT);
    expect(leave.origin_server_ts).toBeGreaterThanOrEqual(quitAt + SHORT_GRACE_S * 1000);

    // Meanwhile, with the long grace, the ghost is still in its room (and nothing was sent).
    await said(`still split ${suffix}`);
    expect(await inRoom(rooms.long, ghost('long'))).toBe(true);
  }, 90_000);

  it('the netjoin sends nothing where the ghost was held; where it had left, it joins again', async () => {
    const before = `before the netjoin ${suffix}`;
    await said(before);
    const from = olga.raw.length;
    olga.client.raw('CONNECT irc2.localhost');
    await waitFor(linked, 30_000, 'irc2.localhost linked again');
    await waitFor(
      () => olga.raw.slice(from).some((l) => l.includes(`:Dora${suffix}!`) && / JOIN /.test(l)),
      30_000,
      'Dora back in the channel (netjoin)',
    );
    await waitFor(() => inRoom(rooms.short, ghost('short')), 30_000, 'ghost joined again');
    await said(`after the netjoin ${suffix}`);
    expect(await doraMemberships(rooms.long, before)).toEqual([]);
    expect((await doraMemberships(rooms.short, before)).map((e) => e.content.membership)).toEqual([
      'join',
    ]);
    expect(await inRoom(rooms.long, ghost('long'))).toBe(true);
  }, 90_000);
});
