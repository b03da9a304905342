// The bridge bot's own SASL login (`bot_sasl`) against real InspIRCd + Atheme: an account
// registered with NickServ; a network whose bot has the right password is logged in to it (IRC's
// WHOIS shows the account), and one with a wrong password still connects and bridges, without it.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IrcConnector } from '../../bridges/irc/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { joinAlias, roomEvents, startBridge } from '../support/bridge-harness.js';
import { registerNickServAccount, whoisAccountOf } from '../support/irc-services.js';
import { ircPort, ircUser, type IrcUser } from '../support/irc-user.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

describe('IRC bridge: the bot logs in with SASL (InspIRCd + Atheme + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#botsasl${suffix}`;
  const account = `sbbot${suffix}`;
  const password = `pw-${randomBytes(9).toString('base64url')}`;
  const bots = { good: `sbg${suffix}`, bad: `sbb${suffix}` };
  let bridge: Switchboard;
  let bob: IrcUser;
  let carol: TestUser;

  beforeAll(async () => {
    requireSynapse();
    await registerNickServAccount(account, password);
    const network = (bot_nick: string, pass: string) => ({
      host: '127.0.0.1',
      port: ircPort(),
      tls: false,
      bot_nick,
      bot_sasl: { account, password: pass },
      channels: [channel],
    });
    bridge = await startBridge({
      connectors: [new IrcConnector()],
      bridges: {
        irc: {
          enabled: true,
          networks: {
            good: network(bots.good, password),
            bad: network(bots.bad, `${password}-wrong`),
          },
        },
      },
    });
    bob = await ircUser(`Bob${suffix}`, channel);
    carol = await registerUser(uniqueLocalpart('carol'));
  }, 120_000);

  afterAll(async () => {
    bob?.client.quit();
    await bridge?.stop();
  });

  it('the bot with the right password is logged in to its account', async () => {
    expect(await whoisAccountOf(bob, bots.good)).toBe(account);
  }, 60_000);

  it('the bot with a wrong password is connected without an account, and still bridges', async () => {
    expect(await whoisAccountOf(bob, bots.bad)).toBeNull();
    const roomId = await joinAlias(carol, `#irc_bad_${channel}:localhost`);
    const text = `heard without SASL ${suffix}`;
    bob.client.say(channel, text);
    await waitFor(
      async () => (await roomEvents(carol, roomId)).some((e) => e.content.body === text),
      30_000,
      'the message in the room',
    );
  }, 60_000);
});
