/**
 * The XMPP benchmark: the real bridge (XMPP connector, in its own process) as a component of a
 * real Prosody (started by test/peers/xmpp.sh in a mkdtemp folder, on its own ports) and the
 * in-memory stand-in homeserver, with one MUC portal. In one run:
 *   - Prosody's own limit: one XMPP client to another through the MUC, as fast as it goes;
 *   - XMPP → Matrix and Matrix → XMPP messages/s through the MUC, and the bridge's CPU per message;
 *   - latency at a fixed rate (500 msg/s) each way, beside Prosody's own client-to-client latency
 *     at that rate (the difference is what the bridge adds);
 *   - memory per Matrix user known to XMPP (each is an occupant of the MUC);
 *   - Prosody alone the way the bridge uses it, in a room of its own with the same population
 *     (`--plain off`: skip): a client's message and a plain component's (lib/xmpp-plain-component.ts,
 *     no bridge) to the clients, rate and latency, and Prosody's CPU per message in each phase;
 *   - with --control, Matrix → XMPP and the plain component at the same time, half the rate each.
 * Carol, a client in a process of her own (lib/xmpp-receiver.ts), times the same messages as Bob
 * without waiting behind this process's work.
 *
 *   npm run bench:xmpp
 *   npm run bench:xmpp -- --messages 5000 --rate 500 --paced 1500 --users 500 --port 16222
 *   npm run bench:xmpp -- --prosody-nagle on   # Prosody's default socket setting (see README)
 *   npm run bench:xmpp -- --messages 2000 --paced 1500 --users 10 --stages --control
 * SWITCHBOARD_BENCH_PHASE_PROF=<dir> writes a CPU profile of the bridge per phase; `--stages`
 * prints where the paced XMPP → Matrix messages waited (lib/stage-clock.ts).
 */
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { ClientEvent } from '../src/matrix/events.js';
import { FakeHomeserver } from '../test/support/fake-homeserver.js';
import { BridgeProcess } from './lib/bridge-handle.js';
import { sqliteTarget } from './lib/databases.js';
import { AS_TOKEN, benchConfig, BOT, DOMAIN, HS_TOKEN } from './lib/identities.js';
import { machine } from './lib/machine.js';
import { pace, push, sleep, waitUntil } from './lib/pusher.js';
import type { StageTimes } from './lib/stage-clock.js';
import { IN_POINTS, OUT_POINTS, stageTable } from './lib/stage-report.js';
import { MB, percentile, round } from './lib/stats.js';
import { PlainComponent } from './lib/xmpp-plain-component.js';
import { XmppPeer } from './lib/xmpp-peer.js';
import { XmppReceiver } from './lib/xmpp-receiver.js';
import { XmppServer } from './lib/xmpp-server.js';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '5000' },
    rate: { type: 'string', default: '500' },
    paced: { type: 'string', default: '1500' },
    speakers: { type: 'string', default: '10' },
    users: { type: 'string', default: '500' },
    port: { type: 'string', default: '16222' },
    // Time each paced XMPP → Matrix message's stages in the bridge (it costs CPU: not for the
    // CPU-per-message figures of the same run).
    stages: { type: 'boolean', default: false },
    // Prosody's Nagle's algorithm (`network_settings.nagle`): off, as the bridge's README advises
    // (on, Prosody's default, holds each stanza for the bridge's delayed ACK: up to 40 ms).
    'prosody-nagle': { type: 'string', default: 'off' },
    // Prosody alone the way the bridge must use it: a message from a component (no bridge) beside
    // one from a client, in a room of its own with the same population (`--plain off`: skip).
    plain: { type: 'string', default: 'on' },
    // After the paced phases, Matrix → XMPP again while the plain component says as much in its
    // own room, at the same time: both paths under the same load (needs the plain component).
    control: { type: 'boolean', default: false },
  },
});
const messages = Number(args.messages);
const rate = Number(args.rate);
const paced = Number(args.paced);
const speakerCount = Number(args.speakers);
const userCount = Number(args.users);
const log = (line = '') => console.log(line);
const facts = machine(tmpdir());
const nagle = args['prosody-nagle'] === 'on' ? 'on' : 'off';
log(
  `XMPP benchmark, ${facts.date}: ${facts.cpuModel} × ${facts.nproc}, Node ${facts.node}, load ${facts.loadAverage.join(' ')}; Prosody's Nagle ${nagle}`,
);

const MUC = 'bench@conference.localhost';
const PLAIN_MUC = 'plain@conference.localhost';
const ALIAS = `#xmpp_bench=40conference.localhost:${DOMAIN}`;
const TXN_SIZE = 100;

const prosody = await XmppServer.start(Number(args.port), nagle);
const hs = await FakeHomeserver.start({
  serverName: DOMAIN,
  asToken: AS_TOKEN,
  hsToken: HS_TOKEN,
  senderLocalpart: BOT,
  userNamespace: new RegExp(`^@xmpp_.*:${DOMAIN}$`),
  recordRequests: false,
});
const database = await sqliteTarget(tmpdir()).fresh();
const bridge = new BridgeProcess();
const peers: XmppPeer[] = [];
let plain: PlainComponent | undefined;
let carol: XmppReceiver | undefined;
try {
  // When each ghost's message reaches the homeserver, by body.
  const arrivals = new Map<string, number>();
  const append = hs.world.append.bind(hs.world);
  hs.world.append = (room, fields, ts) => {
    const ev = append(room, fields, ts);
    if (fields.type === 'm.room.message' && fields.sender.startsWith('@xmpp_'))
      arrivals.set(String(fields.content.body), performance.now());
    return ev;
  };
  const alice = await XmppPeer.login(prosody.c2sPort, 'alice', 'bench');
  const bob = await XmppPeer.login(prosody.c2sPort, 'bob', 'bench');
  peers.push(alice, bob);
  await alice.join(MUC, 'Alice');
  await bob.join(MUC, 'Bob');
  // Carol receives too, in a process of her own: her times do not wait behind this process's
  // work (the stand-in homeserver, the pusher, Alice and Bob), Bob's do.
  carol = await XmppReceiver.start(prosody.c2sPort, 'carol', 'Carol', [MUC, PLAIN_MUC]);
  const occupants = speakerCount + 3;

  const { port } = await bridge.ask(
    {
      type: 'start',
      connector: 'xmpp',
      stages: args.stages,
      config: {
        ...benchConfig(hs.url, database.url),
        bridges: {
          xmpp: {
            enabled: true,
            host: '127.0.0.1',
            port: prosody.componentPort,
            domain: 'matrix.localhost',
            secret: 'matrixsecret',
            media: { enabled: false },
            gateway: { enabled: false },
          },
        },
      },
    },
    'ready',
    120_000,
  );
  const asUrl = `http://127.0.0.1:${port}`;
  hs.appserviceUrl = asUrl;
  // The portal, from its alias (the component may still be connecting: ask again).
  let roomId: string | undefined;
  for (let i = 0; i < 100 && !roomId; i++) {
    const res = await fetch(`${asUrl}/_matrix/app/v1/rooms/${encodeURIComponent(ALIAS)}`, {
      headers: { authorization: `Bearer ${HS_TOKEN}` },
    });
    roomId = res.status === 200 ? hs.world.aliases.get(ALIAS) : undefined;
    if (!roomId) await sleep(300);
  }
  if (!roomId) throw new Error(`the alias ${ALIAS} was not made`);
  const room = roomId;

  // Matrix users enter the room (each becomes an occupant of the MUC).
  const enter = async (users: string[], name: (i: number) => string) => {
    const joins: ClientEvent[] = [];
    users.forEach((u, i) => {
      hs.addUser(u, { displayname: name(i) });
      hs.join(room, u);
      joins.push(
        hs
          .events(room)
          .filter((e) => e.type === 'm.room.member' && e.state_key === u)
          .at(-1)!,
      );
    });
    for (let i = 0; i < joins.length; i += TXN_SIZE) await push(hs, joins.slice(i, i + TXN_SIZE));
    await waitUntil(
      () => users.every((_, i) => bob.present.has(`${MUC}/${name(i)}`)),
      300_000,
      `${users.length} Matrix users in the MUC`,
    );
  };
  const speakers = Array.from({ length: speakerCount }, (_, i) => `@mx${i}:${DOMAIN}`);
  await enter(speakers, (i) => `Matrix ${i}`);
  const sendFromMatrix = async (bodies: string[], offset = 0) => {
    const events = bodies.map((body, i) =>
      hs.send(room, speakers[(offset + i) % speakers.length]!, { msgtype: 'm.text', body }),
    );
    for (let i = 0; i < events.length; i += TXN_SIZE) await push(hs, events.slice(i, i + TXN_SIZE));
  };

  // Warm-up, both ways.
  alice.say(MUC, 'warm');
  await waitUntil(() => arrivals.has('warm'), 30_000, 'warm-up XMPP → Matrix');
  await sendFromMatrix(speakers.map((_, i) => `w ${i}`));
  await waitUntil(
    () => speakers.every((_, i) => bob.arrivals.has(`w ${i}`)),
    30_000,
    'warm-up Matrix → XMPP',
  );
  const memory0 = await bridge.ask({ type: 'memory' }, 'memory', 60_000);
  const msgs = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix} ${i}`);
  const rateOf = (n: number, ms: number) => `${round((n * 1000) / ms)} msg/s`;
  // Prosody's CPU time per message of a phase (10 ms ticks: a phase's total is what counts).
  let prosodyCpu0 = 0;
  const prosodyFrom = () => void (prosodyCpu0 = prosody.cpuMs());
  const prosodyPer = (n: number) =>
    `Prosody CPU ${round((prosody.cpuMs() - prosodyCpu0) / n, 3)} ms/msg`;

  // Prosody's own limit: Alice → Bob through the MUC (every occupant gets each message, the
  // Matrix users' occupants on the component too). The bridge bridges these to Matrix meanwhile,
  // so Prosody shares the machine with it here: the plain room below measures it without.
  prosodyFrom();
  let t0 = performance.now();
  for (const b of msgs('x', messages)) alice.say(MUC, b);
  await waitUntil(() => bob.arrivals.has(`x ${messages - 1}`), 300_000, 'Prosody alone');
  const prosodyMs = (bob.arrivals.get(`x ${messages - 1}`) ?? performance.now()) - t0;
  const lost = msgs('x', messages).filter((b) => !bob.arrivals.has(b)).length;
  log(
    `Prosody alone (client → MUC → client, ${occupants} occupants): ${messages} messages in ${round(prosodyMs / 1000, 2)} s = ${rateOf(messages, prosodyMs)}${lost ? `; ${lost} lost` : ''}; ${prosodyPer(messages)}`,
  );
  await sleep(500);

  // XMPP → Matrix.
  await bridge.ask({ type: 'mark' }, 'marked');
  prosodyFrom();
  t0 = performance.now();
  for (const b of msgs('i', messages)) alice.say(MUC, b);
  await waitUntil(
    () => msgs('i', messages).every((b) => arrivals.has(b)),
    300_000,
    'XMPP → Matrix',
  );
  const inMs = Math.max(...msgs('i', messages).map((b) => arrivals.get(b)!)) - t0;
  const inProsody = prosodyPer(messages);
  const inStats = await bridge.ask({ type: 'stats' }, 'stats');
  log(
    `XMPP → Matrix: ${messages} messages in ${round(inMs / 1000, 2)} s = ${rateOf(messages, inMs)}; bridge CPU ${round(inStats.cpuMs / messages, 3)} ms/msg (${round((messages / inStats.cpuMs) * 1000)} msg per CPU-second); ${inProsody}`,
  );
  await sleep(500);

  // Matrix → XMPP: transactions of 100 events, one at a time (as a homeserver sends them).
  await bridge.ask({ type: 'mark' }, 'marked');
  prosodyFrom();
  t0 = performance.now();
  await sendFromMatrix(msgs('o', messages));
  await waitUntil(
    () => msgs('o', messages).every((b) => bob.arrivals.has(b)),
    300_000,
    'Matrix → XMPP',
  );
  const outMs = Math.max(...msgs('o', messages).map((b) => bob.arrivals.get(b)!)) - t0;
  const outProsody = prosodyPer(messages);
  const outStats = await bridge.ask({ type: 'stats' }, 'stats');
  log(
    `Matrix → XMPP: ${messages} messages in ${round(outMs / 1000, 2)} s = ${rateOf(messages, outMs)}; bridge CPU ${round(outStats.cpuMs / messages, 3)} ms/msg (${round((messages / outStats.cpuMs) * 1000)} msg per CPU-second); ${outProsody}`,
  );
  if (args.stages) {
    const { reads, writes } = await bridge.ask({ type: 'stages', prefix: 'o ' }, 'stages');
    log(
      `  the component connection's socket reads: ${round(reads / messages, 2)} a message, writes: ${round(writes / messages, 2)} a message`,
    );
  }
  await sleep(500);

  // Latency at a fixed rate: each way, and Prosody's own client-to-client at the same rate.
  const latency = (sent: Map<string, number>, got: Map<string, number>) => {
    const sorted = [...sent].map(([b, at]) => got.get(b)! - at).sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  };
  const show = (l: { p50: number; p99: number }) =>
    `p50 ${round(l.p50, 1)} ms, p99 ${round(l.p99, 1)} ms`;
  const sentAt = () => new Map<string, number>();
  /** performance.now() times → epoch ms, as the bridge process's stage times are. */
  const epoch = (m: Map<string, number>) =>
    new Map([...m].map(([b, at]) => [b, performance.timeOrigin + at]));
  const ownSent = sentAt();
  // This process's own event-loop delay in each paced phase: the XMPP clients, the stand-in
  // homeserver and the pusher share it, and its stalls show as latency of whatever it timed.
  const benchLoop = monitorEventLoopDelay({ resolution: 1 });
  benchLoop.enable();
  const benchLoopP99 = () => {
    const p99 = benchLoop.percentile(99) / 1e6;
    benchLoop.reset();
    return `the benchmark's own loop delay p99 ${round(p99, 1)} ms`;
  };
  prosodyFrom();
  await pace(paced, rate, (from, to) => {
    for (let n = from; n < to; n++) {
      ownSent.set(`r ${n}`, performance.now());
      alice.say(MUC, `r ${n}`);
    }
  });
  await waitUntil(() => [...ownSent.keys()].every((b) => bob.arrivals.has(b)), 60_000, 'paced');
  const ownProsody = prosodyPer(paced);
  /** Latency to Carol (in a process of her own), of the messages sent at `sent` (this process's times). */
  const toCarol = async (prefix: string, sent: Map<string, number>) =>
    latency(epoch(sent), await carol!.arrivals(prefix, [...sent.keys()]));
  const carolSays = (l: { p50: number; p99: number }) =>
    `to Carol (a client in a process of her own) ${show(l)}`;
  /** From the bridge's socket write to Carol, p50 / p99 / max (needs --stages). */
  const afterWrite = (sent: Map<string, number>, got: Map<string, number>, times: StageTimes) => {
    const gaps = [...sent.keys()]
      .map((b) => (got.get(b) ?? NaN) - (times[b]?.written ?? NaN))
      .filter((v) => !Number.isNaN(v))
      .sort((a, b) => a - b);
    return `${round(percentile(gaps, 50), 2)} / ${round(percentile(gaps, 99), 2)} / ${round(gaps.at(-1) ?? NaN, 2)}`;
  };
  const own = latency(ownSent, bob.arrivals);
  const ownCarol = await toCarol('r ', ownSent);
  log(
    `Prosody alone at ${rate} msg/s: ${show(own)}; ${carolSays(ownCarol)}; ${benchLoopP99()}; ${ownProsody}`,
  );

  // Prosody alone the way the bridge must use it. A room of its own (the bridge is not in it)
  // with the same population: Alice, Bob and as many occupants on a plain component in this
  // process (lib/xmpp-plain-component.ts) as the portal has Matrix speakers. The same message
  // from Alice (a client) and from a component occupant: what differs is Prosody's component
  // path. The component's copies come to this process here (to the bridge's in the portal).
  /** Prosody alone the way the bridge uses it (the plain room), msg/s and latency at `rate`. */
  let plainBase: { c2s: number; component: number } | undefined;
  let plainComponentToCarol: { p50: number; p99: number } | undefined;
  if (args.plain !== 'off') {
    plain = await PlainComponent.connect(prosody.componentPort, 'plain.localhost', 'plainsecret');
    await alice.join(PLAIN_MUC, 'Alice');
    await bob.join(PLAIN_MUC, 'Bob');
    await plain.join(PLAIN_MUC, speakerCount);
    const where = `${PLAIN_MUC}, ${occupants} occupants, ${speakerCount} of them on a plain component`;
    await plain.say(PLAIN_MUC, ['pw']);
    alice.say(PLAIN_MUC, 'pv');
    await waitUntil(
      () => bob.arrivals.has('pw') && bob.arrivals.has('pv'),
      30_000,
      'plain warm-up',
    );
    prosodyFrom();
    t0 = performance.now();
    for (const b of msgs('pc', messages)) alice.say(PLAIN_MUC, b);
    await waitUntil(() => bob.arrivals.has(`pc ${messages - 1}`), 300_000, 'plain, client');
    const c2sMs = bob.arrivals.get(`pc ${messages - 1}`)! - t0;
    const c2sProsody = prosodyPer(messages);
    await sleep(500);
    prosodyFrom();
    t0 = performance.now();
    const bodies = msgs('pk', messages);
    for (let i = 0; i < messages; i += TXN_SIZE)
      await plain.say(PLAIN_MUC, bodies.slice(i, i + TXN_SIZE), i);
    await waitUntil(() => bob.arrivals.has(`pk ${messages - 1}`), 300_000, 'plain, component');
    const componentMs = bob.arrivals.get(`pk ${messages - 1}`)! - t0;
    const componentProsody = prosodyPer(messages);
    plainBase = {
      c2s: (messages * 1000) / c2sMs,
      component: (messages * 1000) / componentMs,
    };
    log(
      `Prosody alone (${where}): client → MUC → client ${rateOf(messages, c2sMs)} (${c2sProsody}); component → MUC → client (bursts of ${TXN_SIZE} in one write) ${rateOf(messages, componentMs)} (${componentProsody})`,
    );
    await sleep(500);
    const c2sSent = sentAt();
    benchLoop.reset();
    prosodyFrom();
    await pace(paced, rate, (from, to) => {
      for (let n = from; n < to; n++) {
        c2sSent.set(`pl ${n}`, performance.now());
        alice.say(PLAIN_MUC, `pl ${n}`);
      }
    });
    await waitUntil(() => [...c2sSent.keys()].every((b) => bob.arrivals.has(b)), 60_000, 'pl');
    const plProsody = prosodyPer(paced);
    log(
      `Prosody alone at ${rate} msg/s, client → MUC → client (${where}): ${show(latency(c2sSent, bob.arrivals))}; ${carolSays(await toCarol('pl ', c2sSent))}; ${benchLoopP99()}; ${plProsody}`,
    );
    const componentSent = sentAt();
    prosodyFrom();
    await pace(paced, rate, async (from, to) => {
      const due: string[] = [];
      for (let n = from; n < to; n++) {
        componentSent.set(`pm ${n}`, performance.now());
        due.push(`pm ${n}`);
      }
      await plain!.say(PLAIN_MUC, due, from);
    });
    await waitUntil(
      () => [...componentSent.keys()].every((b) => bob.arrivals.has(b)),
      60_000,
      'pm',
    );
    const pmProsody = prosodyPer(paced);
    log(
      `Prosody alone at ${rate} msg/s, component → MUC → client (${where}): ${show(latency(componentSent, bob.arrivals))}; ${carolSays((plainComponentToCarol = await toCarol('pm ', componentSent)))}; ${benchLoopP99()}; ${pmProsody}`,
    );
    // Out of the way of the bridge's phases: this process no longer parses its copies.
    if (!args.control) {
      await plain.stop();
      plain = undefined;
    }
    await sleep(500);
  }
  const inSent = sentAt();
  benchLoop.reset();
  await bridge.ask({ type: 'mark' }, 'marked');
  prosodyFrom();
  await pace(paced, rate, (from, to) => {
    for (let n = from; n < to; n++) {
      inSent.set(`p ${n}`, performance.now());
      alice.say(MUC, `p ${n}`);
    }
  });
  await waitUntil(() => [...inSent.keys()].every((b) => arrivals.has(b)), 60_000, 'paced in');
  const inPacedProsody = prosodyPer(paced);
  const inLat = latency(inSent, arrivals);
  const inPaced = await bridge.ask({ type: 'stats' }, 'stats');
  log(
    `XMPP → Matrix at ${rate} msg/s: ${show(inLat)} (client → Matrix); added by the bridge ≈ p50 ${round(inLat.p50 - own.p50, 1)} ms, p99 ${round(inLat.p99 - own.p99, 1)} ms; the bridge's own histogram p99 ≤ ${inPaced.bridgeLatencyMs.to_matrix.p99} ms; loop delay p99 ${round(inPaced.loopDelayMs.p99, 1)} ms; ${benchLoopP99()}; ${inPacedProsody}`,
  );
  if (args.stages) {
    const { times, reads, writes } = await bridge.ask({ type: 'stages', prefix: 'p ' }, 'stages');
    for (const line of stageTable(IN_POINTS, times, epoch(inSent), epoch(arrivals))) log(line);
    log(
      `  the component connection's socket reads: ${reads} (${round(reads / paced, 2)} a message), writes: ${writes} (${round(writes / paced, 2)} a message)`,
    );
  }
  const outSent = sentAt();
  benchLoop.reset();
  await bridge.ask({ type: 'mark' }, 'marked');
  prosodyFrom();
  await pace(paced, rate, async (from, to) => {
    const bodies: string[] = [];
    for (let n = from; n < to; n++) {
      outSent.set(`q ${n}`, performance.now());
      bodies.push(`q ${n}`);
    }
    await sendFromMatrix(bodies, from);
  });
  await waitUntil(() => [...outSent.keys()].every((b) => bob.arrivals.has(b)), 60_000, 'paced out');
  const outPacedProsody = prosodyPer(paced);
  const outLat = latency(outSent, bob.arrivals);
  const carolGot = await carol.arrivals('q ', [...outSent.keys()]);
  const outCarol = latency(epoch(outSent), carolGot);
  const outPaced = await bridge.ask({ type: 'stats' }, 'stats');
  log(
    `Matrix → XMPP at ${rate} msg/s: ${show(outLat)} (transaction → client); added by the bridge ≈ p50 ${round(outLat.p50 - own.p50, 1)} ms, p99 ${round(outLat.p99 - own.p99, 1)} ms; the bridge's own histogram p99 ≤ ${outPaced.bridgeLatencyMs.to_network.p99} ms; loop delay p99 ${round(outPaced.loopDelayMs.p99, 1)} ms; ${benchLoopP99()}; ${outPacedProsody}`,
  );
  log(
    `  ${carolSays(outCarol)}; added by the bridge (beside Prosody alone to Carol) ≈ p50 ${round(outCarol.p50 - ownCarol.p50, 1)} ms, p99 ${round(outCarol.p99 - ownCarol.p99, 1)} ms`,
  );
  if (plainComponentToCarol)
    log(
      `  added by the bridge beside Prosody alone the way the bridge uses it (a plain component's message → Carol, ${show(plainComponentToCarol)}) ≈ p50 ${round(outCarol.p50 - plainComponentToCarol.p50, 1)} ms, p99 ${round(outCarol.p99 - plainComponentToCarol.p99, 1)} ms`,
    );
  if (args.stages) {
    const { times, reads, writes } = await bridge.ask({ type: 'stages', prefix: 'q ' }, 'stages');
    for (const line of stageTable(OUT_POINTS, times, epoch(outSent), epoch(bob.arrivals)))
      log(line);
    log(
      `  socket took it → Carol got it (a client in a process of her own): ${afterWrite(outSent, carolGot, times)}`,
    );
    log(
      `  the component connection's socket reads: ${reads} (${round(reads / paced, 2)} a message), writes: ${writes} (${round(writes / paced, 2)} a message)`,
    );
  }
  if (plainBase) {
    const pct = (bridged: number, base: number) => `${round((bridged / base) * 100)} %`;
    const inRate = (messages * 1000) / inMs;
    const outRate = (messages * 1000) / outMs;
    log(
      `Beside Prosody alone the way the bridge uses it (${PLAIN_MUC}): XMPP → Matrix ${round(inRate)} msg/s = ${pct(inRate, plainBase.c2s)} of client → MUC with the copies to a plain component (${round(plainBase.c2s)} msg/s); Matrix → XMPP ${round(outRate)} msg/s = ${pct(outRate, plainBase.component)} of component → MUC → client (${round(plainBase.component)} msg/s)`,
    );
  }

  // The control: Matrix → XMPP again while the plain component says as much in its own room, at
  // the same time, so both paths see the same machine, Prosody and clients. A gap between the two
  // is the bridge's path; the same latency is the machine's (CPU) or Prosody's.
  if (args.control && plain) {
    const viaBridge = sentAt();
    const viaPlain = sentAt();
    const component = plain;
    // Half the rate each: together as much as the other paced phases.
    const half = rate / 2;
    await Promise.all([
      pace(paced / 2, half, async (from, to) => {
        const bodies: string[] = [];
        for (let n = from; n < to; n++) {
          viaBridge.set(`c ${n}`, performance.now());
          bodies.push(`c ${n}`);
        }
        await sendFromMatrix(bodies, from);
      }),
      pace(paced / 2, half, async (from, to) => {
        const bodies: string[] = [];
        for (let n = from; n < to; n++) {
          viaPlain.set(`k ${n}`, performance.now());
          bodies.push(`k ${n}`);
        }
        await component.say(PLAIN_MUC, bodies, from);
      }),
    ]);
    const bridgeToCarol = await carol.arrivals('c ', [...viaBridge.keys()]);
    const plainToCarol = latency(epoch(viaPlain), await carol.arrivals('k ', [...viaPlain.keys()]));
    log(
      `Control, ${half} msg/s each at the same time: Matrix → XMPP (transaction → Carol) ${show(latency(epoch(viaBridge), bridgeToCarol))}; a plain component's message → Carol ${show(plainToCarol)}`,
    );
    if (args.stages) {
      const { times } = await bridge.ask({ type: 'stages', prefix: 'c ' }, 'stages');
      log(
        `  the bridge's socket took it → Carol got it: ${afterWrite(viaBridge, bridgeToCarol, times)}`,
      );
    }
    await plain.stop();
    plain = undefined;
  }

  // Memory per Matrix user known to XMPP: each one more occupant of the MUC.
  const crowd = Array.from({ length: userCount }, (_, k) => `@crowd${k}:${DOMAIN}`);
  await sleep(2000); // what the runs left settles (debounced store writes, timers)
  const memory1 = await bridge.ask({ type: 'memory' }, 'memory', 60_000);
  await bridge.ask({ type: 'mark' }, 'marked');
  prosodyFrom();
  t0 = performance.now();
  await enter(crowd, (k) => `Crowd ${k}`);
  const enterMs = performance.now() - t0;
  const enterStats = await bridge.ask({ type: 'stats' }, 'stats');
  const enterProsody = prosodyPer(userCount);
  await sleep(1500); // the occupants' store writes (debounced) land
  const memory2 = await bridge.ask({ type: 'memory' }, 'memory', 60_000);
  log(
    `memory: heap ${round(memory2.heapUsedBytes / MB)} MB, RSS ${round(memory2.rssBytes / MB)} MB (${round((memory1.heapUsedBytes - memory0.heapUsedBytes) / MB, 1)} MB more heap after the runs); ${userCount} Matrix users entered the MUC in ${round(enterMs / 1000, 1)} s (bridge CPU ${round(enterStats.cpuMs / userCount, 2)} ms a user, ${enterProsody.replace('/msg', ' a user')}); about ${round((memory2.heapUsedBytes - memory1.heapUsedBytes) / userCount / 1024, 2)} KiB heap per Matrix user known to XMPP`,
  );
} finally {
  for (const p of peers) await p.stop();
  await plain?.stop();
  await carol?.stop();
  await bridge.stop();
  await hs.close();
  await database.cleanup();
  await prosody.stop();
}
