// The IRC bridge across an IRC server restart, with a channel from the config (a static portal):
// the room exists from the start, the bot and the puppet reconnect with backoff and rejoin, and
// messages sent during a 10 s outage are held and delivered after it, in order, once each, before
// later ones. The bridge reaches InspIRCd through a TCP gate (test/support/tcp-gate.ts) that stays
// shut until the IRC observer is back in the channel: otherwise the puppet could say the held
// messages before anyone on IRC is there to hear them.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IrcConnector } from '../../bridges/irc/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import {
  defaultPuppetNick,
  ircPort,
  ircUser,
  type IrcUser,
  startIrcBridge,
  heardFrom,
} from '../support/irc-user.js';
import { startTcpGate, type TcpGate } from '../support/tcp-gate.js';
import { asUser, roomEvents } from '../support/bridge-harness.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

/**
 * Stops or starts the test InspIRCd through the same script test/run.sh uses (PEERS_DIR and
 * IRC_PORT come from it). Asynchronously: the bridge runs in this process and must see the outage.
 */
const ircServer = (action: 'stop' | 'start') =>
  promisify(execFile)('bash', ['test/peers/irc.sh', action]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
  let gate: TcpGate;
  const connector = new IrcConnector();
  let txn = 0;

  const send = (body: string) =>
    asUser(
      alice,
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${Date.now()}.${++txn}`,
      { msgtype: 'm.text', body },
    );
  const danHeard = (body: string) => heardFrom(dan, puppetNick, body, 30_000);
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
    gate = await startTcpGate(ircPort());
    bridge = await startIrcBridge(
      { port: gate.port, bot_nick: botNick, channels: [channel] },
      connector,
    );
    alice = await registerUser(uniqueLocalpart('alice'));
    puppetNick = defaultPuppetNick(alice.userId);
  });

  afterAll(async () => {
    dan?.client.quit('bye');
    await bridge?.stop();
    await gate?.close();
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

  it('holds what was sent during a 10 s server outage and delivers it after the reconnect, in order, once each', async () => {
    await send('before the restart');
    await danHeard('before the restart');
    const down = Date.now();
    gate.shut();
    await ircServer('stop');
    const whileDown = ['down 1', 'down 2', 'down 3'];
    for (const body of whileDown) {
      await send(body);
      await sleep(2_500);
    }
    await sleep(10_000 - (Date.now() - down));
    await ircServer('start');
    dan = await ircUser(`Dan${suffix}`, channel);
    gate.open();
    await send('after the restart');
    for (const body of [...whileDown, 'after the restart']) await danHeard(body);
    await sleep(2_000); // a doubled line would arrive right behind the first
    const order = dan.heard.filter((e) => e.nick === puppetNick).map((e) => e.message);
    expect(order).toEqual([...whileDown, 'after the restart']);
    const notices = (await roomEvents(alice, roomId)).filter((e) =>
      String(e.content.body).includes('Not delivered'),
    );
    expect(notices).toEqual([]);

    await botInChannel();
    dan.client.say(channel, 'irc after the restart');
    await matrixHas('irc after the restart');

    // What an admin sees on /metrics: both connections dropped once and are back.
    const metrics = await bridge.metrics.registry.metrics();
    for (const kind of ['bot', 'puppet'])
      expect(metrics).toContain(
        `switchboard_irc_connection_drops_total{network="test",kind="${kind}"} 1`,
      );
    expect(metrics).toContain(
      'switchboard_irc_connections{network="test",kind="puppet",state="connected"} 1',
    );
    expect(metrics).toContain(
      'switchboard_irc_connections{network="test",kind="bot",state="connected"} 1',
    );
  }, 120_000);
});
