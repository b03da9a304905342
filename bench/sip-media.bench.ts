/**
 * The SIP bridge's media relay capacity: N concurrent relayed calls (`media: relay`), 50 packets/s
 * each way, through the real bridge in its own process, registered on a real Kamailio (started
 * with test/peers/sip.sh on ports of its own), with the in-memory stand-in homeserver as Matrix.
 * The SIP leg is a plain RTP phone of this process (sip.js over WebSocket for the INVITE, a UDP
 * socket for the media, bench/lib/media-peers.ts); the Matrix leg a werift peer that answers each
 * `m.call.invite` (as test/support/webrtc-phone.ts does). Every frame carries the moment it was
 * sent: per direction, the loss and the packet delay variation (each packet's one-way delay above
 * its stream's smallest: the jitter) over the measured window, and the bridge's CPU per packet.
 * The same N calls peer to peer (werift ↔ werift, no bridge) are the limit of this process.
 *
 *   npm run bench:sip-media -- --help    # the options, with their defaults
 *   SWITCHBOARD_BENCH_PHASE_PROF=/tmp/prof npm run bench:sip-media   # a CPU profile of the window
 *   SWITCHBOARD_BENCH_SCHED_DUMP=/tmp/d.json npm run bench:sip-media  # the media thread's states,
 *                                               # the GC pauses and the packets' holds, as JSON
 *
 * Where the time goes (Linux): over each measured window, every thread's CPU and run-queue wait
 * (/proc/<pid>/task/<tid>/schedstat: time ready to run but waiting for a core) for this process,
 * the bridge's main thread, its media threads and its other threads (V8 GC/compiler, libuv), and
 * Kamailio; each CPU's busy share; and this process's own event-loop delay. Both ends measure in
 * this process: a packet's delay is stamped when its sender runs (a late timer is not counted)
 * and read in this process's socket handler, so this process's loop delay is in every figure,
 * peer to peer as through the bridge ("end to end, stamped in this process"). So, through the
 * bridge, a second measure: "at the bridge, kernel timestamps on lo" (bench/lib/media-wire.ts):
 * tcpdump captures the RTP on the loopback interface over the window, and each packet's datagram
 * to the bridge is matched with the bridge's datagram out; the difference of their kernel
 * timestamps is what the bridge held it, whatever this process's receiving peers were doing
 * (`--wire` requires it, `--no-wire` leaves it out; by default on where tcpdump and CAP_NET_RAW
 * are). `--pin` runs the load generator and the system under test
 * on separate cores (as the phones and Matrix clients are other machines in production), in
 * both phases; run without it beside, for the contended figures.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Session, UserAgent } from 'sip.js';
import { installFastRtpHeader } from '../bridges/sip/media/werift-rtp-header.js';
import { FakeHomeserver } from '../test/support/fake-homeserver.js';
import { freePort } from '../test/support/free-port.js';
import { BridgeProcess } from './lib/bridge-handle.js';
import { sqliteTarget } from './lib/databases.js';
import { AS_TOKEN, benchConfig, BOT, DOMAIN, HS_TOKEN } from './lib/identities.js';
import { answerCalls } from './lib/call-answerer.js';
import { machine } from './lib/machine.js';
import { RtpEnd, WebrtcEnd } from './lib/media-peers.js';
import { localLoad, MeasuredWindow } from './lib/media-window.js';
import { PeerProcesses } from './lib/peer-processes.js';
import { sleep, waitUntil } from './lib/pusher.js';
import { round } from './lib/stats.js';
import { pinToCpu, processTree, snapshot } from './lib/threads.js';
import { availableParallelism, setPriority } from 'node:os';
import { WireMeasure, type WireResults } from './lib/media-wire.js';
import type { SchedEvent } from './lib/sched-trace.js';
import { openSchedTrace, reportHoldCauses } from './lib/hold-report.js';
import { describeFifoFloor } from './lib/fifo-floor.js';
import {
  describeSettings,
  phoneAgent,
  placeCalls,
  settingsJson,
  sipBridgeConfig,
} from './lib/sip-calls.js';
import { bridgeJson, reportBridge, type BridgeStats } from './lib/bridged-report.js';
import { args, peerProcesses } from './lib/sip-media-options.js';

// This process's werift peers parse headers as the bridge's relay does (the cheaper generator).
installFastRtpHeader();
const N = Number(args.calls);
const seconds = Number(args.seconds);
const setupRate = Number(args['setup-rate']);
const log = (line = '') => console.log(line);
const facts = machine(tmpdir());
log(
  `SIP media benchmark, ${facts.date}: ${facts.cpuModel} × ${facts.nproc}, Node ${facts.node}, load ${facts.loadAverage.join(' ')}`,
);
log(describeSettings(N, seconds, args, peerProcesses));

if (args.wire && args['no-wire']) throw new Error('--wire or --no-wire, not both');
if (args.process && args.worker) throw new Error('--process or --worker, not both');
const wire = WireMeasure.open(
  args.wire ? 'on' : args['no-wire'] ? 'off' : 'auto',
  join(import.meta.dirname, '..'),
  log,
);
// Where each held packet's time went: the media thread's states from the kernel's scheduler.
const schedTrace = wire ? openSchedTrace(args['no-sched-trace'], log) : undefined;
if (args.pin) {
  if (availableParallelism() < 2) throw new Error('--pin needs two CPUs');
  pinToCpu(process.pid, 0);
}
if (args['peers-priority'] !== undefined) {
  // Every thread there is now; threads started later inherit it from the thread that starts them.
  const nice = Number(args['peers-priority']);
  for (const tid of snapshot(process.pid).keys()) setPriority(tid, nice);
}

const DID = '+15550001';
const USER = `@bench:${DOMAIN}`;
const CALLERS = 20;

const kamailioPidFile: { path?: string } = {};
const measured = new MeasuredWindow(seconds, log, () => kamailioPidFile.path);
const measure = measured.measure.bind(measured);
const describe = measured.describe.bind(measured);

const results: Record<string, unknown> = {};

// ------------------------------------------------------------------ peer to peer: the limit
// The same work for this process as a relayed call gives it (a werift stream sent and one
// received, a plain RTP stream sent and one received, per call), without the bridge between.
if (!args['no-baseline']) {
  log('peer to peer (no bridge: werift → werift and RTP → RTP, one of each per call):');
  const webrtc: [WebrtcEnd, WebrtcEnd][] = [];
  const rtp: [RtpEnd, RtpEnd][] = [];
  for (let i = 0; i < N; i++) {
    const a = new WebrtcEnd();
    const b = new WebrtcEnd();
    const answer = await b.answer(await a.offer());
    await a.accept(answer);
    webrtc.push([a, b]);
    const c = new RtpEnd();
    const d = new RtpEnd();
    await c.pairWith(d);
    rtp.push([c, d]);
  }
  await Promise.allSettled(webrtc.flatMap(([a, b]) => [a.connected(), b.connected()]));
  const direct = await measure(
    localLoad(
      rtp.map(([c]) => c),
      webrtc.map(([a]) => a),
    ),
  );
  describe('RTP → RTP', direct.aToB);
  describe('werift → werift', direct.bToA);
  results.peerToPeer = {
    rtpToRtp: direct.aToB,
    webrtcToWebrtc: direct.bToA,
    benchCorePercent: direct.benchCorePercent,
    benchThreads: direct.benchThreads,
    benchLoopMs: direct.benchLoopMs,
    cpus: direct.cpus,
  };
  await Promise.all(webrtc.flat().map((e) => e.close().catch(() => undefined)));
  for (const e of rtp.flat()) e.close();
}

// ------------------------------------------------------------------ through the bridge
const work = mkdtempSync(join(tmpdir(), 'sb-bench-sipmedia-'));
const sipPort = await freePort();
const wsPort = await freePort();
const peersEnv = {
  ...process.env,
  PEERS_DIR: work,
  SIP_PORT: String(sipPort),
  SIP_WS_PORT: String(wsPort),
};
execFileSync('bash', ['test/peers/sip.sh', 'start'], { env: peersEnv, stdio: 'inherit' });
kamailioPidFile.path = join(work, 'kamailio.pid');
if (args.pin) for (const pid of measured.kamailioPids()) pinToCpu(pid, 0);
const hs = await FakeHomeserver.start({
  serverName: DOMAIN,
  asToken: AS_TOKEN,
  hsToken: HS_TOKEN,
  senderLocalpart: BOT,
  userNamespace: new RegExp(`^@sip_.*:${DOMAIN}$`),
  recordRequests: false,
});
hs.addUser(USER, { displayname: 'Bench' });
const database = await sqliteTarget(String(args['db-dir'])).fresh();
const bridge = new BridgeProcess();
const matrixEnds: WebrtcEnd[] = [];
const phoneEnds: RtpEnd[] = [];
const sessions: Session[] = [];
let ua: UserAgent | undefined;
const peers = peerProcesses > 1 ? new PeerProcesses(peerProcesses) : undefined;
if (args.pin) for (const pid of peers?.pids ?? []) pinToCpu(pid, 0);
try {
  // The called user answers each call with a werift peer of its own (joining the DM the first time).
  answerCalls(
    hs,
    USER,
    (offer) => {
      if (peers) return peers.answer(offer);
      const end = new WebrtcEnd();
      matrixEnds.push(end);
      return end.answer(offer);
    },
    log,
  );
  const { port } = await bridge.ask(
    {
      type: 'start',
      connector: 'sip',
      config: {
        ...benchConfig(hs.url, database.url),
        bridges: { sip: sipBridgeConfig(wsPort, DID, USER, args) },
      },
    },
    'ready',
    120_000,
  );
  hs.appserviceUrl = `http://127.0.0.1:${port}`;
  if (args.pin) for (const pid of processTree(bridge.pid)) pinToCpu(pid, 1);

  // The phones: one plain RTP end per call (here or in a peer process), 20 callers (20 DM rooms).
  ua = await phoneAgent(wsPort, () => {
    if (peers) return peers.phone();
    const end = new RtpEnd();
    phoneEnds.push(end);
    return end;
  });
  log(`through the bridge: setting up ${N} calls at ${setupRate}/s`);
  const t0 = performance.now();
  await placeCalls(ua, { n: N, rate: setupRate, did: DID, callers: CALLERS }, sessions);
  const clients = () => peers?.matrixClients ?? matrixEnds.length;
  await waitUntil(() => clients() >= N, 30_000, 'every Matrix peer');
  const connected = await Promise.allSettled(matrixEnds.map((e) => e.connected(60_000)));
  const phones = phoneEnds.filter((e) => e.ready);
  const up = (await peers?.connected(60_000)) ?? {
    phones: phones.length,
    matrix: matrixEnds.length,
    failed: connected.filter((r) => r.status === 'rejected').length,
  };
  const failed = up.failed;
  log(
    `  ${sessions.length} calls up, ${up.phones} phones with media, ${up.matrix - failed} Matrix peers connected` +
      `${failed ? ` (${failed} failed to)` : ''} in ${round((performance.now() - t0) / 1000)} s`,
  );

  // What reaches the bridge: every phone's RTP, and the media of the WebRTC legs that connected.
  const live = matrixEnds.filter((_, i) => connected[i]!.status === 'fulfilled');
  const sentSoFar = () => [...phones, ...live].reduce((n, e) => n + e.out.sent, 0);
  let sentBefore = 0;
  let w0 = 0;
  let packets = 0;
  let windowS = 0;
  let stats: BridgeStats | undefined;
  let wireResults: WireResults | undefined;
  let sched: { events: SchedEvent[]; lost: number } | undefined;
  const tids = { bench: new Set<number>(), bridge: new Set<number>() };
  const bridgeStats = () => bridge.ask({ type: 'stats' }, 'stats');
  const load = peers ?? localLoad(phones, matrixEnds);
  const relayed = await measure(load, {
    start: async () => {
      await wire?.start();
      schedTrace?.start();
      await bridge.ask({ type: 'mark' }, 'marked');
      sentBefore = sentSoFar();
      w0 = performance.now();
    },
    end: async () => {
      // Every packet sent to the bridge while its CPU was counted (both ways).
      packets = sentSoFar() - sentBefore;
      if (schedTrace) {
        tids.bench = new Set(snapshot(process.pid).keys());
        for (const pid of peers?.pids ?? [])
          for (const tid of snapshot(pid).keys()) tids.bench.add(tid);
        tids.bridge = new Set(snapshot(bridge.pid).keys());
        // `--process`: the media processes are the bridge's children.
        for (const pid of processTree(bridge.pid))
          for (const tid of snapshot(pid).keys()) tids.bridge.add(tid);
      }
      sched = schedTrace?.stop();
      stats = await bridgeStats();
      windowS = (performance.now() - w0) / 1000;
      // The packets still in flight at the window's end are on the wire before the capture stops.
      const pauses = stats.mediaLoopDelayMs.flatMap((d) => d.gc?.pauses ?? []);
      const streams = await load.streams();
      if (peers) packets = peers.sentMeasured;
      wireResults = await wire?.finish(streams, async () =>
        stats?.mediaLoopDelayMs.some((d) => d.gc) ? pauses : undefined,
      );
    },
  });
  if (!stats) throw new Error('no figures from the bridge');
  peers?.describe(log);
  log("  end to end, stamped in this process (its receiving peers' own delays included):");
  describe('SIP → Matrix', relayed.aToB);
  describe('Matrix → SIP', relayed.bToA);
  if (wireResults) wire!.describe(wireResults);
  const { causes, peersDuringGc } =
    sched && wire?.pairs
      ? reportHoldCauses(
          {
            sched,
            pairs: wire.pairs,
            media: stats.mediaLoopDelayMs,
            bridgePid: bridge.pid,
            tids,
            peers: peers
              ? {
                  tid: peers.pids[0]!,
                  label: `peer process 1 of ${peerProcesses}: its share sends from it`,
                }
              : {
                  tid: process.pid,
                  label: 'this process: every phone and Matrix client sends from it',
                },
          },
          log,
        )
      : { causes: undefined, peersDuringGc: undefined };
  const cpuPerPacketUs = reportBridge(stats, packets, windowS, measured, log);
  const floors = wire?.pairs ? describeFifoFloor(wire.pairs, log) : undefined;
  results.bridged = {
    ...relayed,
    ...bridgeJson(stats, cpuPerPacketUs),
    ...settingsJson(args),
    atTheBridge: wireResults ?? 'not measured (--no-wire, or no capture possible here)',
    holdCauses: causes ?? 'not measured',
    peersDuringGc: peersDuringGc ?? 'not measured',
    burstFloor: floors ?? 'not measured',
  };
} finally {
  schedTrace?.close();
  wire?.abort();
  await Promise.all(sessions.map((s) => s.bye().catch(() => undefined)));
  await sleep(500);
  await ua?.stop().catch(() => undefined);
  for (const e of phoneEnds) e.close();
  await Promise.all(matrixEnds.map((e) => e.close().catch(() => undefined)));
  await peers?.close();
  await bridge.stop();
  await hs.close();
  execFileSync('bash', ['test/peers/sip.sh', 'stop'], { env: peersEnv, stdio: 'inherit' });
  rmSync(work, { recursive: true, force: true });
  await database.cleanup();
}
log('--- json ---');
log(
  JSON.stringify(
    {
      machine: facts,
      calls: N,
      seconds,
      options: {
        pin: args.pin,
        priority: args.priority,
        peersPriority: args['peers-priority'],
        wire: !!wire,
        peerProcesses,
      },
      results,
    },
    null,
    2,
  ),
);
process.exit(0);
