// Who is behind a PM's nick, against real InspIRCd (account-tag) + Atheme and Synapse: an IRC user
// logged in to their NickServ account PMs alice; when they are gone and someone else takes the
// nick, that one's PM reaches alice's room behind a warning that the account behind the nick
// changed.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IrcConnector } from '../../bridges/irc/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { roomEvents, sendText } from '../support/bridge-harness.js';
import { registerNickServAccount } from '../support/irc-services.js';
import {
  defaultPuppetNick,
  ircUser,
  startIrcBridge,
  type IrcUser,
  joinPmRoom,
} from '../support/irc-user.js';
import { joinChannelRoom } from '../support/irc-scope.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

describe('IRC PMs: the account behind the nick (InspIRCd + Atheme + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#acct${suffix}`;
  const bobNick = `Bob${suffix}`;
  const account = `bobacct${suffix}`;
  const password = `pw-${randomBytes(9).toString('base64url')}`;
  const connector = new IrcConnector();
  let bridge: Switchboard;
  let alice: TestUser;
  let bob: IrcUser;
  let puppetNick: string;
  const others: IrcUser[] = [];

  /** Bob asks NickServ something and waits for its answer matching `expected`. */
  const nickServ = async (text: string, expected: RegExp) => {
    const from = bob.raw.length;
    bob.client.say('NickServ', text);
    await waitFor(
      () => bob.raw.slice(from).find((l) => / ?:NickServ!/.test(l) && expected.test(l)),
      15_000,
      `NickServ's answer to ${text.split(' ')[0]}`,
    );
  };

  beforeAll(async () => {
    requireSynapse();
    await registerNickServAccount(account, password);
    bob = await ircUser(bobNick, channel);
    bridge = await startIrcBridge({ bot_nick: `sba${suffix}` }, connector);
    alice = await registerUser(uniqueLocalpart('alice'));
    puppetNick = defaultPuppetNick(alice.userId);
    const room = await joinChannelRoom(alice, channel);
    await sendText(alice, room, 'hello'); // her puppet connects
    await waitFor(
      () => bob.heard.find((e) => e.nick === puppetNick && e.message === 'hello'),
      20_000,
      "alice's puppet on IRC",
    );
  });

  afterAll(async () => {
    for (const user of [bob, ...others]) user?.client.quit('bye');
    await bridge?.stop();
  });

  it('warns in the PM room when the account behind the nick changes', async () => {
    await nickServ(`IDENTIFY ${account} ${password}`, /identified/i);
    bob.client.say(puppetNick, 'hi, it is bob');
    const pmRoom = await joinPmRoom(connector, alice, bobNick);
    // Bob leaves; someone else takes his nick (no account) and PMs alice as him.
    const gone = new Promise<void>((resolve) => bob.client.once('close', () => resolve()));
    bob.client.quit('bye');
    await gone;
    const mallory = await ircUser(bobNick, `#elsewhere${suffix}`);
    others.push(mallory);
    mallory.client.say(puppetNick, 'still bob, trust me');
    const bodies = await waitFor(
      async () => {
        const events = await roomEvents(alice, pmRoom);
        const texts = events.filter((e) => e.type === 'm.room.message').map((e) => e.content.body);
        return texts.includes('still bob, trust me') ? texts : undefined;
      },
      20_000,
      'the second PM',
    );
    expect(bodies).toEqual([
      'hi, it is bob',
      `⚠️ ${bobNick} is not logged in, but earlier messages here came from the account ${account}: this may be someone else.`,
      'still bob, trust me',
    ]);
  });
});
