// A bridge restart against real InspIRCd and Synapse: an IRC user who parted while the bridge was
// down has their ghost leave the room once the bridge is back (its first NAMES of the channel is
// compared with the room's ghosts); a user still in the channel keeps theirs. And (without the
// pool) a Matrix user's IRC connection comes back at start, before they speak again: it used
// to wait for their next line, one registration after another in the room's queue.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser } from '../support/bridge-harness.js';
import { defaultPuppetNick, ircUser, startIrcBridge, type IrcUser } from '../support/irc-user.js';
import { joinChannelRoom } from '../support/irc-scope.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

describe('IRC bridge restart: users who left meanwhile (InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#restart${suffix}`;
  const database = join(mkdtempSync(join(tmpdir(), 'sb-restart-')), 'switchboard.db');
  const network = { bot_nick: `sbr${suffix}` };
  const ghostOf = (nick: string) => `@irc_test_${nick.toLowerCase()}:localhost`;
  let bridge: Switchboard | undefined;
  let carol: TestUser;
  let roomId: string;
  const irc: IrcUser[] = [];

  const ghostsInRoom = async () => {
    const { joined } = await asUser<{ joined: Record<string, unknown> }>(
      carol,
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`,
    );
    return Object.keys(joined).filter((u) => u.startsWith('@irc_test_'));
  };

  beforeAll(async () => {
    requireSynapse();
    carol = await registerUser(uniqueLocalpart('carol'));
    irc.push(await ircUser(`Dave${suffix}`, channel), await ircUser(`Erin${suffix}`, channel));
    bridge = await startIrcBridge(network, undefined, { database });
    roomId = await joinChannelRoom(carol, channel);
  });

  afterAll(async () => {
    for (const user of irc) user.client.quit('bye');
    await bridge?.stop();
  });

  it('a user who parted while the bridge was down loses their ghost when it is back; others keep theirs', async () => {
    const [dave, erin] = [ghostOf(`Dave${suffix}`), ghostOf(`Erin${suffix}`)];
    await waitFor(
      async () => (await ghostsInRoom()).length === 2,
      30_000,
      'both ghosts in the room',
    );
    await bridge!.stop();
    bridge = undefined;
    const parted = new Promise<void>((resolve) => irc[0]!.client.once('part', () => resolve()));
    irc[0]!.client.part(channel, 'gone while you slept');
    await parted;

    bridge = await startIrcBridge(network, undefined, { database });
    await waitFor(
      async () => !(await ghostsInRoom()).includes(dave),
      30_000,
      `${dave} out of the room`,
    );
    expect(await ghostsInRoom()).toEqual([erin]);
  });

  it("a Matrix user's IRC connection is back in the channel at start, before they speak", async () => {
    const nick = defaultPuppetNick(carol.userId).toLowerCase();
    const erin = irc[1]!;
    const inChannel = async () =>
      (await erin.names(channel)).some((n) => n.replace(/^[~&@%+]+/, '').toLowerCase() === nick);
    await waitFor(inChannel, 30_000, `${nick} in ${channel}`);
    await bridge!.stop();
    bridge = undefined;
    await waitFor(async () => !(await inChannel()), 15_000, `${nick} gone with the bridge`);
    bridge = await startIrcBridge(network, undefined, { database });
    // carol says nothing: the bridge connects her puppet again and it rejoins the channel.
    await waitFor(inChannel, 30_000, `${nick} back in ${channel} without a word from carol`);
  });
});
