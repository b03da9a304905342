// Static mappings in the config, against real InspIRCd and Synapse: a channel entry with `room`
// bridges the channel into a room a Matrix user made (and invited the bot to) instead of a new
// room; messages go both ways there. A later config that maps the channel to another room wins:
// after a restart the channel is bridged there, and no longer into the first room.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, roomEvents, sendText } from '../support/bridge-harness.js';
import { defaultPuppetNick, ircUser, startIrcBridge, type IrcUser } from '../support/irc-user.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

import { BOT } from '../support/management-room.js';

describe('IRC channels mapped to existing rooms in the config (InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#static${suffix}`;
  const bobNick = `Bob${suffix}`;
  const ghost = `@irc_test_bob${suffix}:localhost`;
  const database = join(mkdtempSync(join(tmpdir(), 'sb-static-')), 'switchboard.db');
  const botNick = `sbs${suffix}`;
  let bridge: Switchboard | undefined;
  let alice: TestUser;
  let bob: IrcUser;
  let firstRoom: string;

  /** A private room of alice's with the bridge bot invited, as an admin would prepare it. */
  const preparedRoom = async (name: string) =>
    (
      await asUser<{ room_id: string }>(alice, 'POST', '/_matrix/client/v3/createRoom', {
        preset: 'private_chat',
        name,
        invite: [BOT],
      })
    ).room_id;
  const start = (roomId: string) =>
    startIrcBridge({ bot_nick: botNick, channels: [{ name: channel, room: roomId }] }, undefined, {
      database,
    });
  const ghostSaid = (roomId: string, body: string) =>
    waitFor(
      async () =>
        (await roomEvents(alice, roomId)).find(
          (e) => e.sender === ghost && e.content.body === body,
        ),
      20_000,
      `"${body}" from ${ghost} in ${roomId}`,
    );
  /** Bob says `body` once the bot is in the channel (before that nobody would hear it). */
  const bobSays = async (body: string) => {
    await waitFor(
      async () => (await bob.names(channel)).includes(botNick),
      20_000,
      'the bot in the channel',
    );
    bob.client.say(channel, body);
  };

  beforeAll(async () => {
    requireSynapse();
    alice = await registerUser(uniqueLocalpart('alice'));
    bob = await ircUser(bobNick, channel);
  });

  afterAll(async () => {
    bob?.client.quit('bye');
    await bridge?.stop();
  });

  it('bridges the channel into the mapped room, both ways', async () => {
    const roomId = (firstRoom = await preparedRoom('Our own room'));
    bridge = await start(roomId);
    await bobSays('hello mapped room');
    await ghostSaid(roomId, 'hello mapped room');
    await sendText(alice, roomId, 'hello channel');
    const puppet = defaultPuppetNick(alice.userId);
    await waitFor(
      () => bob.heard.find((e) => e.nick === puppet && e.message === 'hello channel'),
      20_000,
      'alice on IRC',
    );
  });

  it('a new mapping in the config wins after a restart: the old room is no longer bridged', async () => {
    await bridge!.stop();
    bridge = undefined;
    const second = await preparedRoom('The new home');
    bridge = await start(second);
    await bobSays('after the move');
    await ghostSaid(second, 'after the move');
    const old = await roomEvents(alice, firstRoom);
    expect(old.some((e) => e.content.body === 'after the move')).toBe(false);
  });
});
