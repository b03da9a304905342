// The IRC bridge's connection limits against a real InspIRCd and Synapse: at `max_puppets` the
// idle-most puppet QUITs to make room for a new speaker, a puppet idle for `idle_timeout_hours`
// QUITs and its next message connects it again, and a message held longer than
// `queue_while_down.max_wait_seconds` fails with a retriable notice and is never sent later.
// The bridge reaches InspIRCd through a TCP gate (test/support/tcp-gate.ts) so an outage can be
// made without disturbing the IRC observer; connects go one at a time (`max_concurrent_connects: 1`).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IrcConnector } from '../../bridges/irc/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, roomEvents, sendText } from '../support/bridge-harness.js';
import {
  defaultPuppetNick,
  ircPort,
  ircUser,
  type IrcUser,
  startIrcBridge,
  heardFrom,
} from '../support/irc-user.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';
import { startTcpGate, type TcpGate } from '../support/tcp-gate.js';

// Long enough that nobody idles out during the first test (its steps are 1-3 s apart), short
// enough that the second does not wait long for it.
const IDLE_SECONDS = 15;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('IRC connection limits (InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#conns${suffix}`;
  const connector = new IrcConnector();
  let bridge: Switchboard;
  let gate: TcpGate;
  let dan: IrcUser;
  const quits: { nick: string; message: string }[] = [];
  /** Nicks that joined the channel, as the IRC observer saw them. */
  const joins: string[] = [];
  let roomId: string;
  const users: Record<'alice' | 'bob' | 'carol', TestUser & { nick: string }> = {} as never;

  const heard = (who: keyof typeof users, body: string) =>
    heardFrom(dan, users[who].nick, body, 30_000);
  const quit = (who: keyof typeof users, timeoutMs = 30_000) =>
    waitFor(
      () => quits.find((q) => q.nick === users[who].nick),
      timeoutMs,
      `${who}'s puppet to QUIT`,
    );
  const say = (who: keyof typeof users, body: string) => sendText(users[who], roomId, body);

  beforeAll(async () => {
    requireSynapse();
    dan = await ircUser(`Dan${suffix}`, channel);
    dan.client.on('quit', (e: { nick: string; message: string }) => quits.push(e));
    dan.client.on('join', (e: { nick: string }) => joins.push(e.nick));
    gate = await startTcpGate(ircPort());
    bridge = await startIrcBridge(
      {
        port: gate.port,
        bot_nick: `sb${suffix}`,
        channels: [channel],
        max_puppets: 2,
        max_concurrent_connects: 1,
        idle_timeout_hours: IDLE_SECONDS / 3600,
        queue_while_down: { max_wait_seconds: 4 },
      },
      connector,
    );
    roomId = (await connector.roomOf('test', channel))!;
    expect(roomId).toMatch(/^!/);
    for (const name of ['alice', 'bob', 'carol'] as const) {
      const user = await registerUser(uniqueLocalpart(name));
      await asUser(user, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
      users[name] = { ...user, nick: defaultPuppetNick(user.userId) };
    }
  });

  afterAll(async () => {
    dan?.client.quit('bye');
    await bridge?.stop();
    await gate?.close();
  });

  it('at max_puppets, the idle-most puppet QUITs to make room; its user speaks again by reconnecting', async () => {
    await say('alice', 'a1');
    await heard('alice', 'a1');
    await say('bob', 'b1');
    await heard('bob', 'b1');
    expect(quits).toEqual([]);
    await say('carol', 'c1'); // a third puppet: alice's, idle the longest, makes room
    await heard('carol', 'c1');
    expect((await quit('alice')).message).toContain('Idle on Matrix');
    expect(quits.map((q) => q.nick)).toEqual([users.alice.nick]);
    await say('alice', 'a2'); // now bob's is the idle-most
    await heard('alice', 'a2');
    await quit('bob');
    expect(quits.map((q) => q.nick)).toEqual([users.alice.nick, users.bob.nick]);
    const notices = (await roomEvents(users.alice, roomId)).filter((e) =>
      String(e.content.body).includes('Not delivered'),
    );
    expect(notices).toEqual([]);
  }, 90_000);

  it('a puppet that sent nothing for idle_timeout_hours QUITs; its next message connects it again', async () => {
    const before = quits.length;
    const started = Date.now();
    await waitFor(
      () => quits.slice(before).filter((q) => q.message.includes('Idle on Matrix')).length === 2,
      (IDLE_SECONDS + 20) * 1000,
      'carol and alice idle out',
    );
    expect(Date.now() - started).toBeGreaterThan(5_000); // not at once: they spoke moments ago
    expect(
      quits
        .slice(before)
        .map((q) => q.nick)
        .sort(),
    ).toEqual([users.alice.nick, users.carol.nick].sort());
    await say('carol', 'c2');
    await heard('carol', 'c2');
  }, 90_000);

  it('a message held longer than queue_while_down.max_wait_seconds fails with a retriable notice, and is never sent later', async () => {
    gate.shut(); // the bot and carol's puppet drop; their reconnects are refused
    await say('carol', 'lost in the outage');
    const notice = await waitFor(
      async () =>
        (await roomEvents(users.carol, roomId)).find((e) =>
          String(e.content.body).includes('Not delivered'),
        ),
      20_000,
      'the failure notice',
    );
    expect(String(notice.content.body)).toMatch(
      /Not delivered to IRC: could not connect to IRC at .* in time \(down for \d+ s\)\. React with 🔁 to retry\./,
    );
    // Past the bound, messages fail at once until the connection is back (the bound counts from
    // the drop): wait for the puppet to rejoin after its next backoff attempt.
    const rejoinsBefore = joins.filter((nick) => nick === users.carol.nick).length;
    gate.open();
    await waitFor(
      () => joins.filter((nick) => nick === users.carol.nick).length > rejoinsBefore,
      30_000,
      "carol's puppet back in the channel",
    );
    await say('carol', 'after the outage');
    await heard('carol', 'after the outage');
    await sleep(2_000);
    expect(dan.heard.map((e) => e.message)).not.toContain('lost in the outage');
  }, 90_000);
});
