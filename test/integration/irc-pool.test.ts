// The IRC connection pool against real Redis, InspIRCd and Synapse: `switchboard irc-pool` (a
// child process) holds the connections; the bridge restarts mid-conversation with many puppets
// connected (SWITCHBOARD_TEST_POOL_PUPPETS, 100 by default, as the issue asks) and IRC
// never sees it: no QUIT, PART or JOIN of the bridge's nicks reaches the channel, what IRC said
// while the bridge was down reaches the room once the bridge is back, and no line is lost or
// doubled either way. Also: /health and /metrics of the pool, and a protocol version check.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IrcConnector } from '../../bridges/irc/index.js';
import { PoolLink } from '../../bridges/irc/pool/pool-link.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, roomEvents, sendText, startBridge } from '../support/bridge-harness.js';
import { ircPort, ircUser, type IrcUser } from '../support/irc-user.js';
import { redisUrl, startPoolProcess, type PoolProcess } from '../support/irc-pool.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

const PUPPETS = Number(process.env.SWITCHBOARD_TEST_POOL_PUPPETS ?? 100);

describe('IRC connection pool: a bridge restart IRC never sees (Redis + InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#pool${suffix}`;
  const prefix = `sbtest:${suffix}`;
  const database = join(mkdtempSync(join(tmpdir(), 'sb-pool-')), 'switchboard.db');
  const botNick = `sbp${suffix}`;
  const network = {
    bot_nick: botNick,
    channels: [channel],
    flood: { lines_per_second: 0, burst: 10 },
    max_concurrent_connects: 10,
  };
  let pool: PoolProcess;
  let bridge: Switchboard | undefined;
  let connector: IrcConnector;
  let dan: IrcUser;
  let roomId: string;
  const users: TestUser[] = [];
  /** JOIN, PART and QUIT lines the IRC observer saw, with the nick. */
  const seen: { what: string; nick: string }[] = [];
  const danGhost = `@irc_test_dan${suffix}:localhost`;

  const startWithPool = async (poolPrefix = prefix) => {
    connector = new IrcConnector();
    bridge = await startBridge({
      database,
      connectors: [connector],
      bridges: {
        irc: {
          enabled: true,
          pool: { redis: redisUrl(), prefix: poolPrefix, http_port: 0 },
          networks: { test: { host: '127.0.0.1', port: ircPort(), tls: false, ...network } },
        },
      },
    });
  };
  const danLinesInRoom = async () =>
    (await roomEvents(users[0]!, roomId, 1000))
      .filter((e) => e.sender === danGhost && e.type === 'm.room.message')
      .map((e) => String(e.content.body));
  const heardOnIrc = (body: string) => dan.heard.filter((h) => h.message === body);

  beforeAll(async () => {
    requireSynapse();
    pool = await startPoolProcess({ redis: redisUrl(), prefix });
    dan = await ircUser(`Dan${suffix}`, channel);
    for (const what of ['join', 'part', 'quit'])
      dan.client.on(what, (e: { nick: string }) => seen.push({ what, nick: e.nick }));
    await startWithPool();
    roomId = (await waitFor(() => connector.roomOf('test', channel), 30_000, 'the room'))!;
    for (let i = 0; i < PUPPETS; i++) {
      const user = await registerUser(uniqueLocalpart(`p${i}`));
      await asUser(user, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
      users.push(user);
    }
  }, 300_000);

  afterAll(async () => {
    dan?.client.quit('bye');
    await bridge?.stop();
    const code = await pool?.stop();
    expect(code).toBe(0);
    const redis = new Redis(redisUrl());
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it(`restarts the bridge with ${PUPPETS} puppets connected: nothing seen on IRC, nothing lost or doubled`, async () => {
    // Every user speaks: each has a puppet in the pool.
    await Promise.all(users.map((u, i) => sendText(u, roomId, `hello ${i}`)));
    await waitFor(
      () => users.every((_, i) => heardOnIrc(`hello ${i}`).length === 1),
      120_000,
      `all ${PUPPETS} puppets' lines on IRC`,
    );
    const puppetNicks = new Set(dan.heard.map((h) => h.nick.toLowerCase()));
    expect(puppetNicks.size).toBe(PUPPETS);
    const ours = (nick: string) =>
      puppetNicks.has(nick.toLowerCase()) || nick.toLowerCase() === botNick.toLowerCase();
    const seenBefore = seen.length;

    // Mid-conversation: IRC talks before, during and after the restart; Matrix users too.
    for (let i = 0; i < 3; i++) dan.client.say(channel, `before ${i}`);
    await waitFor(
      async () => (await danLinesInRoom()).length === 3,
      30_000,
      'the first IRC lines in the room',
    );
    const stopped = Date.now();
    await bridge!.stop();
    bridge = undefined;
    for (let i = 0; i < 5; i++) dan.client.say(channel, `while down ${i}`);
    // Matrix users speak while the bridge is down too: Synapse holds their messages for it.
    const matrixWhileDown = users.slice(0, 3);
    await Promise.all(matrixWhileDown.map((u, i) => sendText(u, roomId, `matrix while down ${i}`)));
    await new Promise((r) => setTimeout(r, 500));
    await startWithPool();
    const restartMs = Date.now() - stopped;
    for (let i = 0; i < 3; i++) dan.client.say(channel, `after ${i}`);
    await Promise.all(users.map((u, i) => sendText(u, roomId, `after restart ${i}`)));

    const expected = [0, 1, 2]
      .map((i) => `before ${i}`)
      .concat([0, 1, 2, 3, 4].map((i) => `while down ${i}`))
      .concat([0, 1, 2].map((i) => `after ${i}`));
    await waitFor(
      async () => (await danLinesInRoom()).length >= expected.length,
      60_000,
      'every IRC line in the room',
    );
    await waitFor(
      () =>
        users.every((_, i) => heardOnIrc(`after restart ${i}`).length >= 1) &&
        matrixWhileDown.every((_, i) => heardOnIrc(`matrix while down ${i}`).length >= 1),
      120_000,
      `all ${PUPPETS} puppets' lines after the restart on IRC`,
    );
    await new Promise((r) => setTimeout(r, 2_000)); // a doubled line would come now
    expect(await danLinesInRoom()).toEqual(expected);
    for (let i = 0; i < PUPPETS; i++) {
      expect(heardOnIrc(`hello ${i}`)).toHaveLength(1);
      expect(heardOnIrc(`after restart ${i}`)).toHaveLength(1);
    }
    for (let i = 0; i < matrixWhileDown.length; i++)
      expect(heardOnIrc(`matrix while down ${i}`)).toHaveLength(1);
    // The same puppets said it (no new connections) and IRC saw none of ours come or go.
    const after = new Set(
      dan.heard
        .filter((h) => h.message.startsWith('after restart'))
        .map((h) => h.nick.toLowerCase()),
    );
    expect(after).toEqual(puppetNicks);
    expect(seen.slice(seenBefore).filter((s) => ours(s.nick))).toEqual([]);
    console.log(`bridge restart with ${PUPPETS} puppets through the pool: ${restartMs} ms`);
  }, 400_000);

  it(`forwards a channel's line to the bridge once (the bot's), not once per puppet in it`, async () => {
    // Each of the puppets in the channel hears every line there: forwarded, that was PUPPETS + 1
    // stream entries per line, and a puppet's send waited behind them for its echo.
    const fromIrc = async () => {
      const text = await (await fetch(`http://127.0.0.1:${pool.httpPort}/metrics`)).text();
      return Number(
        /switchboard_irc_pool_lines_total\{direction="from_irc"\} (\d+)/.exec(text)?.[1],
      );
    };
    await new Promise((r) => setTimeout(r, 1_000));
    const before = await fromIrc();
    for (let i = 0; i < 5; i++) dan.client.say(channel, `counted ${i}`);
    await waitFor(
      async () => (await danLinesInRoom()).filter((b) => b.startsWith('counted')).length === 5,
      30_000,
      'the counted lines in the room',
    );
    await new Promise((r) => setTimeout(r, 1_000));
    const forwarded = (await fromIrc()) - before;
    expect(forwarded).toBeGreaterThanOrEqual(5);
    expect(forwarded).toBeLessThan(10);
  });

  it('checks the protocol version both ways', async () => {
    const redis = new Redis(redisUrl());
    try {
      // A pool of another version on a prefix: the bridge refuses to start, naming both versions.
      const other = `${prefix}-old`;
      await redis.set(
        `${other}:alive`,
        JSON.stringify({ version: 99, pid: 1, since: '' }),
        'EX',
        60,
      );
      const link = new PoolLink(
        { redis: redisUrl(), prefix: other, http_port: 0, http_bind: '127.0.0.1' },
        pino({ level: 'silent' }),
      );
      await expect(link.start()).rejects.toThrow(/protocol version 99, this bridge 1/);
      await link.stop();
      // A command of another version: the running pool refuses it (and counts it).
      await redis.xadd(
        `${prefix}:commands`,
        '*',
        'v',
        '0',
        'type',
        'send',
        'conn',
        'x',
        'data',
        '{}',
      );
      await waitFor(
        async () =>
          /switchboard_irc_pool_refused_total 1/.test(
            await (await fetch(`http://127.0.0.1:${pool.httpPort}/metrics`)).text(),
          ),
        10_000,
        'the pool to refuse the command',
      );
    } finally {
      redis.disconnect();
    }
  });

  it('serves /health and /metrics', async () => {
    const health = (await (await fetch(`http://127.0.0.1:${pool.httpPort}/health`)).json()) as {
      status: string;
      protocol: number;
      connections: { registered: number };
    };
    expect(health).toMatchObject({ status: 'ok', protocol: 1 });
    expect(health.connections.registered).toBe(PUPPETS + 1);
    const metrics = await (await fetch(`http://127.0.0.1:${pool.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/switchboard_irc_pool_connections\{state="registered"\} (\d+)/);
    expect(metrics).toMatch(/switchboard_irc_pool_lines_total\{direction="from_irc"\} [1-9]/);
  });
});
