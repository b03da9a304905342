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
 *   npm run bench:xmpp -- --wire   # Prosody's hold of each paced message on the wire (tcpdump)
 *   npm run bench:xmpp -- --prosody-writes opportunistic   # network_settings.opportunistic_writes
 * SWITCHBOARD_BENCH_PHASE_PROF=<dir> writes a CPU profile of the bridge per phase; `--stages`
 * prints where the paced XMPP → Matrix messages waited (lib/stage-clock.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { FakeHomeserver } from '../test/support/fake-homeserver.js';
import { BridgeProcess } from './lib/bridge-handle.js';
import { sqliteTarget } from './lib/databases.js';
import { AS_TOKEN, benchConfig, BOT, DOMAIN, HS_TOKEN } from './lib/identities.js';
import { machine } from './lib/machine.js';
import { pace, sleep, waitUntil } from './lib/pusher.js';
import { serialLine, serialSends } from './lib/serial-sends.js';
import { IN_POINTS, OUT_POINTS, stageTable } from './lib/stage-report.js';
import { coreShare, cpuSplit, round } from './lib/stats.js';
import {
  afterWrite,
  carolSays,
  epoch,
  latency,
  msgs,
  rateOf,
  sentAt,
  show,
  stamp,
} from './lib/xmpp-measure.js';
import type { PlainComponent } from './lib/xmpp-plain-component.js';
import {
  controlRun,
  PLAIN_MUC,
  replayLine,
  writeGroups,
  plainRoomLine,
  type PlainRoomContext,
  type PlainRoomLine,
} from './lib/xmpp-plain-room.js';
import { XmppPeer } from './lib/xmpp-peer.js';
import { enterRoom, portalFromAlias, sayFromMatrix } from './lib/xmpp-portal-room.js';
import { XmppReceiver } from './lib/xmpp-receiver.js';
import { XmppServer } from './lib/xmpp-server.js';
import { wireReport, XmppWire } from './lib/xmpp-wire.js';
import { ensureTcpdump } from './lib/wire-capture.js';
import { pinToCpu } from './lib/threads.js';
import { diskSyncTimes, TransactionTimes } from './lib/transaction-times.js';
import { crowdLine } from './lib/xmpp-crowd.js';
import { args } from './lib/xmpp-options.js';

const messages = Number(args.messages);
const rate = Number(args.rate);
const paced = Number(args.paced);
const speakerCount = Number(args.speakers);
const userCount = Number(args.users);
const log = (line = '') => console.log(line);
const facts = machine(args['db-dir']);
const nagle = args['prosody-nagle'] === 'on' ? 'on' : 'off';
const writes = args['prosody-writes'] === 'opportunistic' ? 'opportunistic' : 'deferred';
const archive = args['muc-archive'] === 'on' ? 'on' : 'off';
log(
  `XMPP benchmark, ${facts.date}: ${facts.cpuModel} × ${facts.nproc}, Node ${facts.node}, load ${facts.loadAverage.join(' ')}; Prosody's Nagle ${nagle}, its writes ${writes}, its MUC archive ${archive}${args.pin ? '; pinned: Prosody on CPU 0, the rest on CPU 1' : ''}`,
);

const MUC = 'bench@conference.localhost';
const ALIAS = `#xmpp_bench=40conference.localhost:${DOMAIN}`;

const prosody = await XmppServer.start(Number(args.port), nagle, writes, archive);
if (args.wire) ensureTcpdump(fileURLToPath(new URL('..', import.meta.url)));
const wireDir = args.wire ? mkdtempSync(join(tmpdir(), 'sb-bench-xmpp-wire-')) : undefined;
let wire = wireDir
  ? await XmppWire.start(wireDir, prosody.c2sPort, prosody.componentPort)
  : undefined;
const hs = await FakeHomeserver.start({
  serverName: DOMAIN,
  asToken: AS_TOKEN,
  hsToken: HS_TOKEN,
  senderLocalpart: BOT,
  userNamespace: new RegExp(`^@xmpp_.*:${DOMAIN}$`),
  recordRequests: false,
});
const database = await sqliteTarget(args['db-dir']).fresh();
const bridge = new BridgeProcess();
if (args.pin) {
  pinToCpu(prosody.pid(), 0);
  pinToCpu(process.pid, 1); // Carol, started later, inherits it
  pinToCpu(bridge.pid, 1);
}
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
  // Alice, Bob, Carol and the speakers' occupants (and the bridge's reader for `speakers`).
  const occupants = speakerCount + 3 + (args.occupants === 'speakers' ? 1 : 0);

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
            occupants: args.occupants,
          },
        },
      },
    },
    'ready',
    120_000,
  );
  const asUrl = `http://127.0.0.1:${port}`;
  hs.appserviceUrl = asUrl;
  const room = await portalFromAlias(hs, asUrl, ALIAS);
  // `--occupants speakers`: joining the Matrix room is not entering the MUC (sending is).
  const speakersOnly = args.occupants === 'speakers';
  const enter = (users: string[], name: (i: number) => string) =>
    enterRoom(hs, room, users, name, speakersOnly ? undefined : bob, MUC);
  const speakers = Array.from({ length: speakerCount }, (_, i) => `@mx${i}:${DOMAIN}`);
  await enter(speakers, (i) => `Matrix ${i}`);
  const sendFromMatrix = (bodies: string[], offset = 0) =>
    sayFromMatrix(hs, room, speakers, bodies, offset);

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
  // Prosody's CPU time per message of a phase (10 ms ticks: a phase's total is what counts).
  let prosodyCpu0 = 0;
  const prosodyFrom = () => void (prosodyCpu0 = prosody.cpuMs());
  const prosodyPer = (n: number) =>
    `Prosody CPU ${round((prosody.cpuMs() - prosodyCpu0) / n, 3)} ms/msg`;
  // This process's CPU (the stand-in homeserver, Alice and Bob) over a phase, as a share of a
  // core: with the bridge's and Prosody's, whether the two cores were the limit.
  const benchShare = (cpu0: NodeJS.CpuUsage, from: number) =>
    `this process (the stand-in homeserver, Alice and Bob) ${coreShare(process.cpuUsage(cpu0), performance.now() - from)} % of a core`;

  // Prosody's own limit: Alice → Bob through the MUC (every occupant gets each message, the
  // Matrix users' occupants on the component too). The bridge bridges these to Matrix meanwhile,
  // so Prosody shares the machine with it here: the plain room below measures it without.
  prosodyFrom();
  const t0 = performance.now();
  for (const b of msgs('x', messages)) alice.say(MUC, b);
  await waitUntil(() => bob.arrivals.has(`x ${messages - 1}`), 300_000, 'Prosody alone');
  const prosodyMs = (bob.arrivals.get(`x ${messages - 1}`) ?? performance.now()) - t0;
  const lost = msgs('x', messages).filter((b) => !bob.arrivals.has(b)).length;
  log(
    `Prosody alone (client → MUC → client, ${occupants} occupants): ${messages} messages in ${round(prosodyMs / 1000, 2)} s = ${rateOf(messages, prosodyMs)}${lost ? `; ${lost} lost` : ''}; ${prosodyPer(messages)}`,
  );
  await sleep(500);

  /** `count` messages sent at once one way, timed to the last arrival in `got`; its line logged. */
  const burst = async (
    what: string,
    prefix: string,
    send: (bodies: string[]) => unknown,
    got: Map<string, number>,
    count = messages,
  ) => {
    const bodies = msgs(prefix, count);
    await bridge.ask({ type: 'mark' }, 'marked');
    prosodyFrom();
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    await send(bodies);
    await waitUntil(() => bodies.every((b) => got.has(b)), 300_000, what);
    const ms = Math.max(...bodies.map((b) => got.get(b)!)) - start;
    const prosodyLine = prosodyPer(count);
    const benchLine = benchShare(cpu0, start);
    const stats = await bridge.ask({ type: 'stats' }, 'stats');
    log(
      `${what}: ${count} messages in ${round(ms / 1000, 2)} s = ${rateOf(count, ms)}; bridge CPU ${round(stats.cpuMs / count, 3)} ms/msg (${round((count / stats.cpuMs) * 1000)} msg per CPU-second; ${cpuSplit(stats, count)}); ${prosodyLine}; ${benchLine}`,
    );
    return ms;
  };

  const inMs = await burst(
    'XMPP → Matrix',
    'i',
    (bodies) => bodies.forEach((b) => alice.say(MUC, b)),
    arrivals,
  );
  if (args.stages) {
    const { times } = await bridge.ask({ type: 'stages', prefix: 'i ' }, 'stages');
    log(serialLine(serialSends(msgs('i', messages), times, epoch(arrivals))));
  }
  await sleep(500);

  // Matrix → XMPP: transactions of 100 events, one at a time (as a homeserver sends them).
  const outMs = await burst('Matrix → XMPP', 'o', (bodies) => sendFromMatrix(bodies), bob.arrivals);
  if (args.stages) {
    const { reads, writes } = await bridge.ask({ type: 'stages', prefix: 'o ' }, 'stages');
    log(
      `  the component connection's socket reads: ${round(reads / messages, 2)} a message, writes: ${round(writes / messages, 2)} a message`,
    );
  }
  await sleep(500);

  // Latency at a fixed rate: each way, and Prosody's own client-to-client at the same rate.
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
    for (const b of stamp(ownSent, 'r', from, to)) alice.say(MUC, b);
  });
  await waitUntil(() => [...ownSent.keys()].every((b) => bob.arrivals.has(b)), 60_000, 'paced');
  const ownProsody = prosodyPer(paced);
  /** Latency to Carol (in a process of her own), of the messages sent at `sent` (this process's times). */
  const toCarol = async (prefix: string, sent: Map<string, number>) =>
    latency(epoch(sent), await carol!.arrivals(prefix, [...sent.keys()]));
  const own = latency(ownSent, bob.arrivals);
  const ownCarol = await toCarol('r ', ownSent);
  log(
    `Prosody alone at ${rate} msg/s: ${show(own)}; ${carolSays(ownCarol)}; ${benchLoopP99()}; ${ownProsody}`,
  );

  // Prosody alone the way the bridge must use it (lib/xmpp-plain-room.ts).
  const plainRoom: PlainRoomContext = {
    componentPort: prosody.componentPort,
    alice,
    bob,
    carol,
    speakers: speakerCount,
    occupants,
    messages,
    paced,
    rate,
    log,
    prosodyFrom,
    prosodyPer,
    toCarol,
    benchLoopP99,
    resetBenchLoop: () => benchLoop.reset(),
  };
  let plainLine: PlainRoomLine | undefined;
  if (args.plain !== 'off') {
    ({ line: plainLine, plain } = await plainRoomLine(plainRoom));
    // Out of the way of the bridge's phases: this process no longer parses its copies.
    // Kept with --stages: the bridge's write groups are replayed (replayLine).
    if (!args.control && !args.stages) {
      await plain.stop();
      plain = undefined;
    }
  }
  const inSent = sentAt();
  benchLoop.reset();
  await bridge.ask({ type: 'mark' }, 'marked');
  prosodyFrom();
  await pace(paced, rate, (from, to) => {
    for (const b of stamp(inSent, 'p', from, to)) alice.say(MUC, b);
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
  const outTxns = new TransactionTimes();
  await pace(
    paced,
    rate,
    outTxns.timed((from, to) => sendFromMatrix(stamp(outSent, 'q', from, to), from)),
  );
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
  log(
    `  ${outTxns.summary()}; the bridge's own answer (body arrived → answer ready, its histogram) p50 ≤ ${outPaced.answerMs.p50}, p99 ≤ ${outPaced.answerMs.p99} ms; ${diskSyncTimes(dirname(database.url))}`,
  );
  if (plainLine) {
    const base = plainLine.componentToCarol;
    log(
      `  added by the bridge beside Prosody alone the way the bridge uses it (a plain component's message → Carol, ${show(base)}) ≈ p50 ${round(outCarol.p50 - base.p50, 1)} ms, p99 ${round(outCarol.p99 - base.p99, 1)} ms`,
    );
  }
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
    if (plain) {
      // The same baseline with the bridge's shape: its writes' groups, at the same times.
      const groups = writeGroups(outSent, times);
      const replay = await replayLine(plainRoom, plain, groups);
      log(
        `  Prosody alone with the bridge's shape (a plain component writes the bridge's ${groups.length} groups, up to ${Math.max(...groups.map((g) => g.count))} stanzas, at the same times): to Carol ${show(replay)}; added by the bridge beside it ≈ p50 ${round(outCarol.p50 - replay.p50, 1)} ms, p99 ${round(outCarol.p99 - replay.p99, 1)} ms`,
      );
    }
  }
  if (plainLine) {
    const pct = (bridged: number, base: number) => `${round((bridged / base) * 100)} %`;
    const inRate = (messages * 1000) / inMs;
    const outRate = (messages * 1000) / outMs;
    log(
      `Beside Prosody alone the way the bridge uses it (${PLAIN_MUC}): XMPP → Matrix ${round(inRate)} msg/s = ${pct(inRate, plainLine.c2s)} of client → MUC with the copies to a plain component (${round(plainLine.c2s)} msg/s); Matrix → XMPP ${round(outRate)} msg/s = ${pct(outRate, plainLine.component)} of component → MUC → client (${round(plainLine.component)} msg/s)`,
    );
  }

  // The control: the bridge and the plain component at once (lib/xmpp-plain-room.ts).
  if (args.control && plain) {
    const stages = args.stages
      ? async (prefix: string) => (await bridge.ask({ type: 'stages', prefix }, 'stages')).times
      : undefined;
    await controlRun(plainRoom, plain, sendFromMatrix, stages);
    await plain.stop();
    plain = undefined;
  }

  if (wire) {
    const { counts, times } = await wire.stop();
    wire = undefined;
    const plainOn = !!plainLine;
    const lines = wireReport(counts, times, rate, {
      plain: plainOn,
      shape: plainOn && args.stages,
      control: plainOn && args.control,
    });
    for (const line of lines) log(line);
  }

  // Memory per Matrix user known to XMPP: each one more occupant of the MUC.
  const entered = speakersOnly ? 'the Matrix room, not the MUC (occupants: speakers),' : 'the MUC';
  const crowd = { bridge, enter, entered, prosodyFrom, prosodyPer, memory0, domain: DOMAIN };
  log(await crowdLine(crowd, userCount));
  const crowdMessages = Number(args['crowd-messages']);
  if (crowdMessages > 0) {
    // The room now copies each message to every occupant: the crowd's are the bridge's.
    const crowded = speakersOnly
      ? `with the ${userCount} more Matrix users in the room, not in the MUC (occupants: speakers)`
      : `with the ${userCount} more Matrix users in the MUC (${occupants + userCount} occupants)`;
    await sleep(500);
    const each = (b: string[]) => b.forEach((m) => alice.say(MUC, m));
    await burst(`XMPP → Matrix ${crowded}`, 'ci', each, arrivals, crowdMessages);
    await sleep(500);
    await burst(`Matrix → XMPP ${crowded}`, 'co', sendFromMatrix, bob.arrivals, crowdMessages);
  }
} finally {
  wire?.kill();
  // Only the mkdtemp folder made above.
  if (wireDir?.startsWith(join(tmpdir(), 'sb-bench-xmpp-wire-')))
    rmSync(wireDir, { recursive: true, force: true });
  for (const p of peers) await p.stop();
  await plain?.stop();
  await carol?.stop();
  await bridge.stop();
  await hs.close();
  await database.cleanup();
  await prosody.stop();
}
