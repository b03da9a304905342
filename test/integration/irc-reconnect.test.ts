// The IRC bridge across an IRC server restart, with a channel from the config (a static portal):
// the room exists from the start, the bot and the puppet reconnect with backoff and rejoin, and a
// message sent while the server was down is delivered after it is back, before later ones.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IrcConnector } from '../../bridges/irc/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { ircPort, ircUser, type IrcUser } from '../support/irc-user.js';
import { asUser, roomEvents, startBridge } from '../support/bridge-harness.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

/** Restarts the test InspIRCd through the same script test/run.sh uses (PEERS_DIR and IRC_PORT come from it). */
function restartIrcServer(between?: () => void): void {
  execFileSync('bash', ['test/peers/irc.sh', 'stop'], { stdio: 'pipe' });
  between?.();
  execFileSync('bash', ['test/peers/irc.sh', 'start'], { stdio: 'pipe' });
}

describe('IRC bridge across a server restart (InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#static${suffix}`;
  const botNick = `sb${suffix}`;
  const ghost = `@irc_test_dan${suffix}:localhost`;
  let bridge: Switchboard;
  let alice: TestUser;
  let puppetNick: string;
  let roomId: string;
  let dan: IrcUser;
  const connector = new IrcConnector();
  let txn = 0;

  const send = (body: string) =>
    asUser(
      alice,
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${Date.now()}.${++txn}`,
      { msgtype: 'm.text', body },
    );
  const danHeard = (body: string) =>
    waitFor(
      () => dan.heard.find((e) => e.nick === puppetNick && e.message === body),
      30_000,
      `"${body}" on IRC`,
    );
  const botInChannel = () =>
    waitFor(
      async () => (await dan.names(channel)).includes(botNick),
      30_000,
      'the bot in the channel',
    );
  const matrixHas = (body: string) =>
    waitFor(
      async () =>
        (await roomEvents(alice, roomId)).find(
          (e) => e.sender === ghost && e.content.body === body,
        ),
      30_000,
      `"${body}" in Matrix`,
    );

  beforeAll(async () => {
    requireSynapse();
    dan = await ircUser(`Dan${suffix}`, channel);
    bridge = await startBridge({
      connectors: [connector],
      bridges: {
        irc: {
          enabled: true,
          networks: {
            test: {
              host: '127.0.0.1',
              port: ircPort(),
              tls: false,
              bot_nick: botNick,
              channels: [channel],
            },
          },
        },
      },
    });
    alice = await registerUser(uniqueLocalpart('alice'));
    puppetNick = `${alice.userId.slice(1, alice.userId.indexOf(':'))}[m]`;
  });

  afterAll(async () => {
    dan?.client.quit('bye');
    await bridge?.stop();
  });

  it('bridges a configured channel from the start: its room holds what was said before anyone joined it', async () => {
    await botInChannel();
    dan.client.say(channel, 'said before any Matrix user came');
    // The room was made at start (public: anyone who knows it may join). Not through the alias:
    // core's alias query for an existing portal asks Synapse for that same alias, which asks the bridge again (a loop).
    roomId = (await connector.roomOf('test', channel))!;
    expect(roomId).toMatch(/^!/);
    await asUser(alice, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
    await matrixHas('said before any Matrix user came');
  });

  it('reconnects the bot and the puppet after the server restarts, and loses nothing sent meanwhile', async () => {
    await send('before the restart');
    await danHeard('before the restart');
    let whileDown: Promise<unknown> | undefined;
    restartIrcServer(() => {
      whileDown = send('sent while the server was down');
    });
    await whileDown;
    dan = await ircUser(`Dan${suffix}`, channel);
    await send('after the restart');
    await danHeard('sent while the server was down');
    await danHeard('after the restart');
    const order = dan.heard.filter((e) => e.nick === puppetNick).map((e) => e.message);
    expect(order).toEqual(['sent while the server was down', 'after the restart']);

    await botInChannel();
    dan.client.say(channel, 'irc after the restart');
    await matrixHas('irc after the restart');
  });
});
