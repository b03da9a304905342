/**
 * The Discord benchmark: the real bridge (Discord connector, in its own process) between the
 * fake Discord of the tests (REST + gateway, in this process, with its rate limits) and the
 * in-memory stand-in homeserver. Discord → Matrix messages/s through the gateway; Matrix →
 * Discord through the channels' webhooks under the fake's limit (5 per 2 s per webhook):
 * lost, out of order and 429s counted; memory per channel and per Discord user known.
 *
 *   npm run bench:discord
 *   npm run bench:discord -- --messages 5000 --channels 10 --out-messages 100
 */
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { FakeHomeserver } from '../test/support/fake-homeserver.js';
import { FakeDiscord } from '../test/support/fake-discord/index.js';
import { BridgeProcess } from './lib/bridge-handle.js';
import { sqliteTarget } from './lib/databases.js';
import { AS_TOKEN, benchConfig, BOT, DOMAIN, HS_TOKEN } from './lib/identities.js';
import { machine } from './lib/machine.js';
import { pace, push, waitUntil } from './lib/pusher.js';
import { MB, percentile, round } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '5000' },
    channels: { type: 'string', default: '10' },
    'out-messages': { type: 'string', default: '100' },
    users: { type: 'string', default: '500' },
  },
});
const messages = Number(args.messages);
const channelCount = Number(args.channels);
const outMessages = Number(args['out-messages']);
const userCount = Number(args.users);
const log = (line = '') => console.log(line);
const facts = machine(tmpdir());
log(
  `Discord benchmark, ${facts.date}: ${facts.cpuModel} × ${facts.nproc}, Node ${facts.node}, load ${facts.loadAverage.join(' ')}`,
);

const hs = await FakeHomeserver.start({
  serverName: DOMAIN,
  asToken: AS_TOKEN,
  hsToken: HS_TOKEN,
  senderLocalpart: BOT,
  userNamespace: new RegExp(`^@discord_.*:${DOMAIN}$`),
  recordRequests: false,
});
const fake = await FakeDiscord.start();
const database = await sqliteTarget(tmpdir()).fresh();
const bridge = new BridgeProcess();
try {
  const arrivals = new Map<string, number>();
  const append = hs.world.append.bind(hs.world);
  hs.world.append = (room, fields, ts) => {
    const ev = append(room, fields, ts);
    if (fields.type === 'm.room.message' && fields.sender.startsWith('@discord_'))
      arrivals.set(String(fields.content.body), performance.now());
    return ev;
  };
  const channels = Array.from({ length: channelCount }, (_, i) =>
    fake.state.addChannel(`bench${i}`),
  );
  const speakers = Array.from({ length: 10 }, (_, i) => fake.state.addMember(`speaker${i}`));
  const { port } = await bridge.ask(
    {
      type: 'start',
      connector: 'discord',
      config: {
        ...benchConfig(hs.url, database.url),
        bridges: {
          discord: {
            enabled: true,
            token: fake.token,
            api_url: fake.apiUrl,
            dynamic_aliases: true,
          },
        },
      },
    },
    'ready',
    120_000,
  );
  const asUrl = `http://127.0.0.1:${port}`;
  hs.appserviceUrl = asUrl;
  await waitUntil(() => fake.gateway.connected() > 0, 30_000, 'the bot on the fake Discord');
  const memory0 = await bridge.ask({ type: 'memory' }, 'memory', 60_000);
  const rooms: string[] = [];
  for (const id of channels) {
    const alias = `#discord_${id}:${DOMAIN}`;
    const res = await fetch(`${asUrl}/_matrix/app/v1/rooms/${encodeURIComponent(alias)}`, {
      headers: { authorization: `Bearer ${HS_TOKEN}` },
    });
    const roomId = hs.world.aliases.get(alias);
    if (res.status !== 200 || !roomId) throw new Error(`alias ${alias}: ${res.status}`);
    rooms.push(roomId);
  }
  // Warm-up: every speaker's ghost joins every room.
  channels.forEach((c, i) => speakers.forEach((s, k) => fake.say(s, c, `warm ${i} ${k}`)));
  await waitUntil(() => arrivals.size >= channels.length * speakers.length, 60_000, 'warm-up');
  const memory1 = await bridge.ask({ type: 'memory' }, 'memory', 60_000);

  // Discord → Matrix: messages spread over the channels, as fast as the gateway takes them.
  await bridge.ask({ type: 'mark' }, 'marked');
  const started = performance.now();
  // This process's CPU too (the fake Discord's gateway and the stand-in homeserver): on a machine
  // with few cores, a harness that costs as much as the bridge is a bottleneck of its own.
  const harnessCpu0 = process.cpuUsage();
  for (let n = 0; n < messages; n++)
    fake.say(speakers[n % speakers.length]!, channels[n % channels.length]!, `d ${n}`);
  await waitUntil(
    () => arrivals.size >= channels.length * speakers.length + messages,
    300_000,
    'Discord → Matrix',
  );
  const inSeconds = (performance.now() - started) / 1000;
  const harnessCpu = process.cpuUsage(harnessCpu0);
  const harnessMs = (harnessCpu.user + harnessCpu.system) / 1000;
  // The bridge's CPU per message: what the machine's load does not change much.
  const inStats = await bridge.ask({ type: 'stats' }, 'stats');
  log(
    `Discord → Matrix: ${messages} messages in ${round(inSeconds, 2)} s = ${round(messages / inSeconds)} msg/s; bridge CPU ${round(inStats.cpuMs / messages, 3)} ms/msg (${round((messages / inStats.cpuMs) * 1000)} msg per CPU-second); harness (fake Discord + stand-in homeserver) CPU ${round(harnessMs / messages, 3)} ms/msg`,
  );

  // Many Discord users known: each says one line (their ghost is made and joins).
  const crowd = Array.from({ length: userCount }, (_, k) => fake.state.addMember(`crowd${k}`));
  const before = arrivals.size;
  crowd.forEach((m, k) => fake.say(m, channels[k % channels.length]!, `c ${k}`));
  await waitUntil(() => arrivals.size >= before + userCount, 300_000, 'crowd');
  const memory2 = await bridge.ask({ type: 'memory' }, 'memory', 60_000);

  // Matrix → Discord through the webhooks, under the fake's limit.
  const users = rooms.map((_, r) => `@mx${r}:${DOMAIN}`);
  users.forEach((u, r) => {
    hs.addUser(u, { displayname: `Matrix ${r}` });
    hs.join(rooms[r]!, u);
  });
  await push(
    hs,
    rooms.flatMap((roomId) => hs.events(roomId).filter((e) => e.type === 'm.room.member')),
  );
  const outStarted = performance.now();
  const events = Array.from({ length: outMessages }, (_, i) =>
    hs.send(rooms[i % rooms.length]!, users[i % rooms.length]!, {
      msgtype: 'm.text',
      body: `m ${i}`,
    }),
  );
  await push(hs, events);
  const sentTo = (c: string) =>
    fake.messages(c).filter((m) => m.webhook_id && /^m \d+$/.test(m.content));
  await waitUntil(
    () => channels.reduce((n, c) => n + sentTo(c).length, 0) >= outMessages,
    600_000,
    'Matrix → Discord',
  );
  const outSeconds = (performance.now() - outStarted) / 1000;
  const inOrder = channels.every((c) => {
    const ns = sentTo(c).map((m) => Number(m.content.slice(2)));
    return ns.every((n, i) => i === 0 || n > ns[i - 1]!);
  });
  const limit = (channels.length * 5) / 2;
  log(
    `Matrix → Discord: ${outMessages} messages in ${round(outSeconds, 2)} s = ${round(outMessages / outSeconds, 1)} msg/s ` +
      `(the fake's limit: ${limit} msg/s over ${channels.length} webhooks); in order: ${inOrder}; 429s: ${fake.rest.tooManyRequests.length}`,
  );
  // Latency at a fixed rate below the limits: Discord → Matrix at 100 msg/s, Matrix → Discord at
  // 1 msg/s per webhook (10 msg/s in all, under 2.5 per webhook): time from the send on one side
  // to the arrival on the other, which is the bridge's added time (the fakes answer at once).
  const latency = (ms: number[]) => {
    const sorted = [...ms].sort((a, b) => a - b);
    return `p50 ${round(percentile(sorted, 50), 1)} ms, p99 ${round(percentile(sorted, 99), 1)} ms`;
  };
  const pacedIn = new Map<string, number>();
  await pace(300, 100, (from, to) => {
    for (let n = from; n < to; n++) {
      pacedIn.set(`p ${n}`, performance.now());
      fake.say(speakers[n % speakers.length]!, channels[n % channels.length]!, `p ${n}`);
    }
  });
  await waitUntil(
    () => [...pacedIn.keys()].every((b) => arrivals.has(b)),
    60_000,
    'paced Discord → Matrix',
  );
  log(
    `Discord → Matrix at 100 msg/s: ${latency([...pacedIn].map(([b, at]) => arrivals.get(b)! - at))}`,
  );
  const onDiscord = new Map<string, number>();
  const dispatch = fake.gateway.dispatch.bind(fake.gateway);
  fake.gateway.dispatch = (t, d) => {
    const content = (d as { content?: unknown; webhook_id?: unknown }).content;
    if (
      t === 'MESSAGE_CREATE' &&
      (d as { webhook_id?: unknown }).webhook_id &&
      typeof content === 'string'
    )
      onDiscord.set(content, performance.now());
    dispatch(t, d);
  };
  const pacedOut = new Map<string, number>();
  // The bridge's own view of the same run: its send latency (from the event reaching it to
  // Discord accepting it) and how late its event loop ran, to tell the bridge's time from the
  // harness's and the machine's.
  await bridge.ask({ type: 'mark' }, 'marked');
  await pace(50, 10, async (from, to) => {
    const batch = [];
    for (let n = from; n < to; n++) {
      pacedOut.set(`q ${n}`, performance.now());
      batch.push(
        hs.send(rooms[n % rooms.length]!, users[n % rooms.length]!, {
          msgtype: 'm.text',
          body: `q ${n}`,
        }),
      );
    }
    await push(hs, batch);
  });
  await waitUntil(
    () => [...pacedOut.keys()].every((b) => onDiscord.has(b)),
    60_000,
    'paced Matrix → Discord',
  );
  const outStats = await bridge.ask({ type: 'stats' }, 'stats');
  const own = outStats.bridgeLatencyMs.to_network;
  log(
    `Matrix → Discord at 10 msg/s (1 per webhook per second): ${latency([...pacedOut].map(([b, at]) => onDiscord.get(b)! - at))}; 429s: ${fake.rest.tooManyRequests.length}; ` +
      `the bridge's own send p50 ≤ ${own.p50} ms, p99 ≤ ${own.p99} ms (histogram buckets, ${own.count} sends); its event loop late p99 ${round(outStats.loopDelayMs.p99, 1)} ms, max ${round(outStats.loopDelayMs.max, 1)} ms`,
  );

  const perChannelKiB = round(
    (memory1.heapUsedBytes - memory0.heapUsedBytes) / channels.length / 1024,
    1,
  );
  const perUserKiB = round((memory2.heapUsedBytes - memory1.heapUsedBytes) / userCount / 1024, 1);
  log(
    `memory: heap ${round(memory2.heapUsedBytes / MB)} MB, RSS ${round(memory2.rssBytes / MB)} MB; about ${perChannelKiB} KiB heap per bridged channel (with its ghosts), ${perUserKiB} KiB per Discord user known`,
  );
} finally {
  await bridge.stop();
  await fake.close();
  await hs.close();
}
