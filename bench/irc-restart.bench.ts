/**
 * The IRC bridge's restart with many puppets, with and without the connection pool: the real
 * bridge (its own process) between a real InspIRCd and the in-memory stand-in homeserver; the
 * pool (`IrcPool`, in a process of its own, as `switchboard irc-pool`) on a real Redis. N Matrix users each speak once
 * (N puppets connected), the bridge is stopped and started again, and each user speaks again.
 * Measured: from the stop until every user's next line is on IRC (and, for comparison, the same
 * N lines with every puppet connected and no restart), the QUIT/JOIN lines of the bridge's nicks
 * an IRC user in the channel saw meanwhile, and the restarted bridge's CPU per line. See
 * bench/README.md.
 *
 *   npm run bench:irc-restart -- --puppets 1000 --connects 50 --irc-port 26667 --redis-port 26380
 */
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { FakeHomeserver } from '../test/support/fake-homeserver.js';
import { BridgeProcess } from './lib/bridge-handle.js';
import { sqliteTarget } from './lib/databases.js';
import { AS_TOKEN, benchConfig, BOT, DOMAIN, HS_TOKEN } from './lib/identities.js';
import { IrcPeer } from './lib/irc-peer.js';
import { IrcServer } from './lib/irc-server.js';
import { machine } from './lib/machine.js';
import { PoolProcess } from './lib/pool-handle.js';
import { waitUntil } from './lib/pusher.js';
import { round } from './lib/stats.js';
import { RedisServer } from './lib/redis-server.js';

const { values: args } = parseArgs({
  options: {
    puppets: { type: 'string', default: '1000' },
    connects: { type: 'string', default: '50' },
    'irc-port': { type: 'string', default: '26667' },
    'redis-port': { type: 'string', default: '26380' },
    modes: { type: 'string', default: 'without,with' },
  },
});
const PUPPETS = Number(args.puppets);
const CONNECTS = Number(args.connects);
const ircPort = Number(args['irc-port']);
const log = (line = '') => console.log(line);
const facts = machine(tmpdir());
log(
  `IRC restart benchmark, ${facts.date}: ${facts.cpuModel} × ${facts.nproc}, Node ${facts.node}, load ${facts.loadAverage.join(' ')}`,
);

async function restartRun(redisUrl: string | undefined, n: number) {
  const hs = await FakeHomeserver.start({
    serverName: DOMAIN,
    asToken: AS_TOKEN,
    hsToken: HS_TOKEN,
    senderLocalpart: BOT,
    userNamespace: new RegExp(`^@irc_.*:${DOMAIN}$`),
    recordRequests: false,
    stream: 'all',
  });
  const database = await sqliteTarget(tmpdir()).fresh();
  const prefix = `bench:${n}`;
  const pool = redisUrl ? new PoolProcess() : undefined;
  if (redisUrl) await pool?.ask({ type: 'start', redis: redisUrl, prefix }, 'ready');
  const config = {
    ...benchConfig(hs.url, database.url),
    bridges: {
      irc: {
        enabled: true,
        ...(redisUrl ? { pool: { redis: redisUrl, prefix, http_port: 0 } } : {}),
        networks: {
          bench: {
            host: '127.0.0.1',
            port: ircPort,
            tls: false,
            bot_nick: `sbr${n}`,
            flood: { lines_per_second: 0 },
            max_concurrent_connects: CONNECTS,
          },
        },
      },
    },
  };
  let bridge = new BridgeProcess();
  const start = async () => {
    const { port } = await bridge.ask(
      { type: 'start', connector: 'irc', config },
      'ready',
      300_000,
    );
    hs.appserviceUrl = `http://127.0.0.1:${port}`;
  };
  const channel = `#restart${n}`;
  const listener = new IrcPeer(`watch${n}`, ircPort);
  try {
    await start();
    const alias = `#irc_bench_${channel}:${DOMAIN}`;
    const res = await fetch(
      `${hs.appserviceUrl}/_matrix/app/v1/rooms/${encodeURIComponent(alias)}`,
      {
        headers: { authorization: `Bearer ${HS_TOKEN}` },
      },
    );
    const room = hs.world.aliases.get(alias);
    if (res.status !== 200 || !room) throw new Error(`alias ${alias}: ${res.status}`);
    const heard = new Set<string>();
    const comings: string[] = [];
    let watching = false;
    listener.onPrivmsg = (h) => heard.add(h.text);
    listener.onLine = (line) => {
      if (watching && /^:\S+ (QUIT|JOIN|PART)\b/.test(line)) comings.push(line);
    };
    await listener.connect();
    await listener.join(channel);
    const crowd = Array.from({ length: PUPPETS }, (_, k) => `@crowd${n}_${k}:${DOMAIN}`);
    crowd.forEach((u, k) => {
      hs.addUser(u, { displayname: `Crowd ${k}` });
      hs.join(room, u);
    });
    await hs.stream!.idle();
    const connectStarted = performance.now();
    crowd.forEach((u, k) => hs.send(room, u, { msgtype: 'm.text', body: `c ${k}` }));
    await waitUntil(
      () => crowd.every((_, k) => heard.has(`c ${k}`)),
      900_000,
      'every puppet connected',
    );
    const connectSeconds = (performance.now() - connectStarted) / 1000;
    await new Promise((r) => setTimeout(r, 3_000)); // joins settle
    // The normal rate, for comparison: every (connected) user says a line again, no restart.
    const warmStarted = performance.now();
    crowd.forEach((u, k) => hs.send(room, u, { msgtype: 'm.text', body: `w ${k}` }));
    await waitUntil(() => crowd.every((_, k) => heard.has(`w ${k}`)), 900_000, 'every warm line');
    const warmSeconds = (performance.now() - warmStarted) / 1000;
    watching = true;
    const stopped = performance.now();
    await bridge.stop();
    bridge = new BridgeProcess();
    await start();
    const upSeconds = (performance.now() - stopped) / 1000;
    await bridge.ask({ type: 'mark' }, 'marked'); // the new bridge's CPU from here
    const poolCpuAtRestart = (await pool?.ask({ type: 'cpu' }, 'cpu'))?.cpuMs ?? 0;

    // Every puppet registered again (re-attached, or reconnected), as the bridge's metric says.
    let puppetsBackAt: number | undefined;
    const bridgeUrl = hs.appserviceUrl!;
    const poll = setInterval(() => {
      void puppetsConnected(bridgeUrl).then(
        (n) => (puppetsBackAt ??= n >= PUPPETS ? performance.now() : undefined),
        () => undefined,
      );
    }, 200);
    crowd.forEach((u, k) => hs.send(room, u, { msgtype: 'm.text', body: `r ${k}` }));
    await waitUntil(
      () => crowd.every((_, k) => heard.has(`r ${k}`)) && puppetsBackAt !== undefined,
      900_000,
      'every puppet again',
    );
    clearInterval(poll);
    const { cpuMs } = await bridge.ask({ type: 'stats' }, 'stats');
    const poolCpuMs = ((await pool?.ask({ type: 'cpu' }, 'cpu'))?.cpuMs ?? 0) - poolCpuAtRestart;
    const restartSeconds = (performance.now() - stopped) / 1000;
    const puppetsBackSeconds = (puppetsBackAt! - stopped) / 1000;
    await new Promise((r) => setTimeout(r, 2_000));
    watching = false;
    const result = {
      pool: !!redisUrl,
      puppets: PUPPETS,
      connectSeconds: round(connectSeconds, 2),
      /** Every user's line with every puppet connected, no restart (the normal rate). */
      warmLinesSeconds: round(warmSeconds, 2),
      bridgeUpSeconds: round(upSeconds, 2),
      puppetsBackSeconds: round(puppetsBackSeconds, 2),
      restartSeconds: round(restartSeconds, 2),
      quitJoinPartLinesSeen: comings.length,
      /** The restarted bridge's CPU (user + system) from its start to every line, per line. */
      bridgeCpuMsPerLine: round(cpuMs / PUPPETS, 3),
      /** The pool process's CPU over the same span, per line (its N connections each hear every line). */
      ...(pool ? { poolCpuMsPerLine: round(poolCpuMs / PUPPETS, 3) } : {}),
    };
    log(
      `  ${redisUrl ? 'with the pool   ' : 'without the pool'}: ${PUPPETS} puppets connected in ${result.connectSeconds} s; a line each (no restart) ${result.warmLinesSeconds} s; restart: bridge up in ${result.bridgeUpSeconds} s, every puppet registered ${result.puppetsBackSeconds} s and every puppet's next line on IRC ${result.restartSeconds} s after the stop; QUIT/JOIN/PART lines seen on IRC: ${comings.length}; the restarted bridge's CPU ${result.bridgeCpuMsPerLine} ms per line${pool ? `, the pool's ${result.poolCpuMsPerLine}` : ''}`,
    );
    return result;
  } finally {
    listener.close();
    await bridge.stop().catch(() => undefined);
    await pool?.stop();
    await hs.close();
    await database.cleanup();
  }
}

/** The bridge's `switchboard_irc_connections` of connected puppets (its /metrics). */
async function puppetsConnected(bridgeUrl: string): Promise<number> {
  const text = await (await fetch(`${bridgeUrl}/metrics`)).text();
  const m =
    /switchboard_irc_connections\{[^}]*kind="puppet"[^}]*state="connected"[^}]*\} (\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

const server = await IrcServer.start(ircPort);
const redis = await RedisServer.start(Number(args['redis-port']));
try {
  const results = [];
  let n = 0;
  for (const mode of args.modes.split(',')) {
    if (mode !== 'with' && mode !== 'without')
      throw new Error(`--modes: with, without; not ${mode}`);
    results.push(await restartRun(mode === 'with' ? redis.url : undefined, n++));
  }
  log('--- json ---');
  log(JSON.stringify({ machine: facts, results }, null, 2));
} finally {
  await redis.stop();
  await server.stop();
}
// Done: a socket of the stand-in or of a peer that is still closing must not hold the run open.
process.exit(0);
