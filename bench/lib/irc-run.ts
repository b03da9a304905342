/**
 * The IRC benchmark's runs: the real bridge (IRC connector, in its own process) between a real
 * InspIRCd and the in-memory stand-in homeserver. IRC users are bare sockets (irc-peer.ts);
 * Matrix users' messages reach the bridge as Synapse sends them: the stand-in homeserver's stream
 * of every event of the bridge's rooms (its own included, with `all`), one transaction in flight.
 */
import { FakeHomeserver } from '../../test/support/fake-homeserver.js';
import type { StreamMode } from '../../test/support/fake-homeserver/appservice-stream.js';
import { tmpdir } from 'node:os';
import { BridgeProcess } from './bridge-handle.js';
import { sqliteTarget } from './databases.js';
import { AS_TOKEN, benchConfig, BOT, DOMAIN, HS_TOKEN } from './identities.js';
import { IrcPeer } from './irc-peer.js';
import type { Log } from './options.js';
import { pace, waitUntil } from './pusher.js';
import { OrderLog } from './order-log.js';
import { puppetScenario } from './irc-puppets.js';
import { coreShare, cpuSplit, percentile, round } from './stats.js';
import { pinToCpu } from './threads.js';

export interface IrcBenchOptions {
  ircPort: number;
  /** This process on CPU 0 and the bridge on CPU 1 (the IRC server where the scheduler puts it). */
  pin: boolean;
  /** Messages in each throughput scenario. */
  messages: number;
  /**
   * Messages each way before the throughput runs, not timed: V8 compiles the hot path while a
   * bridge warms up (its compiler threads were a tenth of a 10,000-message run's CPU), and a
   * bridge that runs for days pays the steady state.
   */
  warmUp: number;
  /** Puppets in the puppet scenario. */
  puppets: number;
  /** The network's max_concurrent_connects. */
  connects: number;
  /** Paced rate and how long, for latency. */
  pacedPerSecond: number;
  pacedSeconds: number;
  /**
   * The throughput runs, one for each: the stand-in homeserver sends the bridge's own events back,
   * as Synapse does (`all`), or not (`others`, kinder than Synapse); one transaction in flight
   * either way. The puppet run uses the first.
   */
  streams: StreamMode[];
  /** The throughput runs, each with this many busy channels (the ten speakers spread over them). */
  channels: number[];
}

/** IRC users who talk and Matrix users who talk, spread over the channels (k in channel k mod n). */
const SPEAKERS = 10;
const GHOST = /^@irc_bench_/;
const latencyOf = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return {
    p50: round(percentile(s, 50), 2),
    p99: round(percentile(s, 99), 2),
    max: round(s.at(-1) ?? NaN, 2),
  };
};

export async function ircBench(opts: IrcBenchOptions, log: Log) {
  const throughput = [];
  for (const channels of opts.channels) {
    for (const stream of opts.streams) {
      log(
        `${channels} busy channel${channels === 1 ? '' : 's'}, ` +
          (stream === 'all'
            ? "with the bridge's own events pushed back (as Synapse does):"
            : "without the bridge's own events pushed back (kinder than Synapse):"),
      );
      throughput.push({ channels, ...(await ircRun(opts, stream, channels, 'throughput', log)) });
    }
  }
  // A bridge of its own, so that the memory measured is the puppets' alone.
  const crowd = await ircRun(opts, opts.streams[0] ?? 'all', 10, 'puppets', log);
  return { throughput, ...crowd };
}

async function ircRun(
  opts: IrcBenchOptions,
  stream: StreamMode,
  channels: number,
  mode: 'throughput' | 'puppets',
  log: Log,
) {
  const hs = await FakeHomeserver.start({
    serverName: DOMAIN,
    asToken: AS_TOKEN,
    hsToken: HS_TOKEN,
    senderLocalpart: BOT,
    userNamespace: new RegExp(`^@irc_.*:${DOMAIN}$`),
    recordRequests: false,
    stream,
  });
  // The default deployment: an SQLite file (WAL, synchronous FULL) in a fresh temp folder.
  const database = await sqliteTarget(tmpdir()).fresh();
  const bridge = new BridgeProcess();
  const peers: IrcPeer[] = [];
  try {
    // Every ghost message reaching the homeserver, by the number in its body.
    const arrivals = new Map<number, number>();
    /**
     * IRC users' lines per room (one stream each way), Matrix users' per sender (each puppet is a
     * connection of its own, and IRC keeps order only within one), as each side had them.
     */
    const matrixOrder = new OrderLog();
    const ircOrder = new OrderLog();
    const senderOf = (line: string) => `mx${Number(line.slice(2)) % SPEAKERS}`;
    const append = hs.world.append.bind(hs.world);
    hs.world.append = (room, fields, ts) => {
      const ev = append(room, fields, ts);
      if (fields.type === 'm.room.message') {
        const body = String(fields.content.body);
        const n = /^m (\d+)$/.exec(body)?.[1];
        if (n !== undefined && GHOST.test(fields.sender)) {
          arrivals.set(Number(n), performance.now());
          matrixOrder.add(room.id, body);
        } else if (/^[xc] \d+$/.test(body)) matrixOrder.add(senderOf(body), body); // a Matrix user's
      }
      return ev;
    };
    const { port } = await bridge.ask(
      {
        type: 'start',
        connector: 'irc',
        config: {
          ...benchConfig(hs.url, database.url),
          bridges: {
            irc: {
              enabled: true,
              networks: {
                bench: {
                  host: '127.0.0.1',
                  port: opts.ircPort,
                  tls: false,
                  flood: { lines_per_second: 0 },
                  max_concurrent_connects: opts.connects,
                },
              },
            },
          },
        },
      },
      'ready',
      120_000,
    );
    if (opts.pin) {
      pinToCpu(process.pid, 0);
      pinToCpu(bridge.pid, 1);
    }
    const asUrl = `http://127.0.0.1:${port}`;
    hs.appserviceUrl = asUrl;

    // Ten portals, made the way a user's join by alias makes them.
    const rooms: string[] = [];
    for (let r = 0; r < channels; r++) {
      const alias = `#irc_bench_#bench${r}:${DOMAIN}`;
      const res = await fetch(`${asUrl}/_matrix/app/v1/rooms/${encodeURIComponent(alias)}`, {
        headers: { authorization: `Bearer ${HS_TOKEN}` },
      });
      const roomId = hs.world.aliases.get(alias);
      if (res.status !== 200 || !roomId) throw new Error(`alias ${alias}: ${res.status}`);
      rooms.push(roomId);
    }
    // IRC side: the talkers spread over the channels, and a listener in all of them.
    const heard = new Map<string, number>();
    /** IRC users' lines as the listener heard them: the IRC server's own pace. */
    const ircHeard = new Map<number, number>();
    const listener = new IrcPeer('listener', opts.ircPort);
    listener.onPrivmsg = (h) => {
      if (/^[xc] \d+$/.test(h.text)) heard.set(h.text, h.at);
      else if (h.text.startsWith('m ')) ircHeard.set(Number(h.text.slice(2)), h.at);
      const matrixUsers = /^[xc] \d+$/.test(h.text);
      ircOrder.add(matrixUsers ? senderOf(h.text) : rooms[Number(h.target.slice(6))]!, h.text);
    };
    peers.push(listener);
    await listener.connect();
    const talkers = Array.from(
      { length: SPEAKERS },
      (_, r) => new IrcPeer(`talker${r}`, opts.ircPort),
    );
    peers.push(...talkers);
    await Promise.all(talkers.map((t) => t.connect()));
    for (let r = 0; r < channels; r++) await listener.join(`#bench${r}`);
    for (let k = 0; k < SPEAKERS; k++) await talkers[k]!.join(`#bench${k % channels}`);
    // Matrix side: user k talks in room k mod channels.
    const users = talkers.map((_, k) => `@mx${k}:${DOMAIN}`);
    users.forEach((u, k) => {
      hs.addUser(u, { displayname: `Matrix ${k}` });
      hs.join(rooms[k % channels]!, u);
    });
    await hs.stream!.idle(); // the joins, sent as they happened

    // Warm-up, not timed: every ghost joins its room, every puppet connects and joins.
    let seq = 0;
    /** Talker k says a line in its channel. */
    const ircSay = (k: number, prefix: string) => {
      const n = seq++;
      talkers[k]!.write(`PRIVMSG #bench${k % channels} :${prefix} ${n}\r\n`);
      return n;
    };
    const warmIrc = talkers.map((_, k) => ircSay(k, 'm'));
    await waitUntil(() => warmIrc.every((n) => arrivals.has(n)), 30_000, 'IRC warm-up');
    const matrixEvents = (count: number, prefix: string, offset: number) =>
      Array.from({ length: count }, (_, i) => {
        const k = (offset + i) % SPEAKERS;
        return hs.send(rooms[k % channels]!, users[k]!, {
          msgtype: 'm.text',
          body: `${prefix} ${offset + i}`,
        });
      });
    matrixEvents(SPEAKERS, 'x', 0); // sent by the homeserver's stream
    await waitUntil(() => heard.size >= SPEAKERS, 120_000, 'Matrix warm-up (puppets connecting)');

    if (mode === 'puppets')
      return await puppetScenario({
        hs,
        bridge,
        rooms,
        heard,
        puppets: opts.puppets,
        connects: opts.connects,
        log,
      });

    // The same traffic both ways, not timed (see `warmUp`). Matrix users' numbers far above the
    // runs' (a multiple of SPEAKERS, so each keeps its sender).
    for (let i = 0; i < opts.warmUp; i++) ircSay(i % SPEAKERS, 'm');
    const warmed = warmIrc.length + opts.warmUp;
    await waitUntil(() => arrivals.size >= warmed, 300_000, 'IRC → Matrix warm-up');
    const heardBeforeWarmUp = heard.size;
    matrixEvents(opts.warmUp, 'x', 10_000_000);
    await waitUntil(
      () => heard.size >= heardBeforeWarmUp + opts.warmUp,
      300_000,
      'Matrix → IRC warm-up',
    );

    // 1. IRC → Matrix throughput: every talker writes its share at once.
    await hs.stream!.idle();
    await bridge.ask({ type: 'mark' }, 'marked', 10_000);
    const first = seq;
    const txnsBefore = { ...hs.stream!.sent };
    const benchCpuBefore = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < opts.messages; i++) ircSay(i % SPEAKERS, 'm');
    await waitUntil(() => arrivals.size >= warmed + opts.messages, 300_000, 'IRC → Matrix');
    const lastIn = Math.max(...[...arrivals].filter(([n]) => n >= first).map(([, at]) => at));
    const ircToMatrix = Math.round(opts.messages / ((lastIn - started) / 1000));
    const lastOnIrc = Math.max(...[...ircHeard].filter(([n]) => n >= first).map(([, at]) => at));
    await hs.stream!.idle(); // the bridge has taken back what it sent (with push-back)
    const inStatsAll = await bridge.ask({ type: 'stats' }, 'stats', 10_000);
    const inCpu = inStatsAll.cpuMs / opts.messages;
    const inBenchCore = coreShare(process.cpuUsage(benchCpuBefore), performance.now() - started);
    const inTxns = hs.stream!.sent.transactions - txnsBefore.transactions;
    const inTxnEvents = hs.stream!.sent.events - txnsBefore.events;
    log(
      `  IRC → Matrix: ${ircToMatrix} msg/s (${opts.messages} messages; the IRC server relayed them in ${round(lastOnIrc - started)} ms); bridge CPU ${round(inCpu, 3)} ms per message (${cpuSplit(inStatsAll, opts.messages)}); ${inTxns} transactions pushed back (${round(inTxnEvents / Math.max(inTxns, 1), 1)} events each); this process (IRC clients and the stand-in homeserver) ${inBenchCore} % of a core`,
    );

    // 2. Matrix → IRC throughput: the homeserver's stream, 100-event transactions, one in flight.
    const heardBefore = heard.size;
    await bridge.ask({ type: 'mark' }, 'marked', 10_000);
    const outStarted = performance.now();
    matrixEvents(opts.messages, 'x', SPEAKERS);
    await waitUntil(() => heard.size >= heardBefore + opts.messages, 300_000, 'Matrix → IRC');
    const lastOut = Math.max(...heard.values());
    const matrixToIrc = Math.round(opts.messages / ((lastOut - outStarted) / 1000));
    await hs.stream!.idle();
    const outStatsAll = await bridge.ask({ type: 'stats' }, 'stats', 10_000);
    const outCpu = outStatsAll.cpuMs / opts.messages;
    log(
      `  Matrix → IRC: ${matrixToIrc} msg/s (${opts.messages} messages); bridge CPU ${round(outCpu, 3)} ms per message (${cpuSplit(outStatsAll, opts.messages)})`,
    );

    // 3. Latency at a paced rate, evenly spaced, each direction on its own.
    const rate = opts.pacedPerSecond;
    const paced = Math.round(rate * opts.pacedSeconds);
    const inSent = new Map<number, number>();
    await bridge.ask({ type: 'mark' }, 'marked', 10_000);
    await pace(paced, rate, (from, to) => {
      const at = performance.now();
      for (let i = from; i < to; i++) inSent.set(ircSay(i % SPEAKERS, 'm'), at);
    });
    await waitUntil(
      () => [...inSent.keys()].every((n) => arrivals.has(n)),
      60_000,
      'paced IRC → Matrix',
    );
    const inLatency = latencyOf([...inSent].map(([n, at]) => arrivals.get(n)! - at));
    const inStats = await bridge.ask({ type: 'stats' }, 'stats', 10_000);
    const inLoop = inStats.loopDelayMs;
    const inBridge = inStats.bridgeLatencyMs.to_matrix;
    log(
      `  IRC → Matrix latency at ${rate} msg/s: p50 ${inLatency.p50} ms, p99 ${inLatency.p99} ms end to end; in the bridge p50 ≤ ${inBridge.p50} ms, p99 ≤ ${inBridge.p99} ms (${inBridge.count} sends; event-loop delay p99 ${round(inLoop.p99)} ms, max ${round(inLoop.max)} ms)`,
    );

    const outSent = new Map<string, number>();
    await bridge.ask({ type: 'mark' }, 'marked', 10_000);
    const offset = SPEAKERS + opts.messages;
    await pace(paced, rate, (from, to) => {
      const at = performance.now();
      for (const e of matrixEvents(to - from, 'x', offset + from))
        outSent.set(String((e.content as { body: string }).body), at);
    });
    await waitUntil(
      () => [...outSent.keys()].every((k) => heard.has(k)),
      60_000,
      'paced Matrix → IRC',
    );
    const outLatency = latencyOf([...outSent].map(([k, at]) => heard.get(k)! - at));
    const outStats = await bridge.ask({ type: 'stats' }, 'stats', 10_000);
    const outLoop = outStats.loopDelayMs;
    const outBridge = outStats.bridgeLatencyMs.to_network;
    log(
      `  Matrix → IRC latency at ${rate} msg/s: p50 ${outLatency.p50} ms, p99 ${outLatency.p99} ms end to end; in the bridge p50 ≤ ${outBridge.p50} ms, p99 ≤ ${outBridge.p99} ms (${outBridge.count} sends; event-loop delay p99 ${round(outLoop.p99)} ms, max ${round(outLoop.max)} ms)`,
    );

    // 4. Both ways at once, half the rate each: a Matrix user's line may now wait behind a
    // transaction of the bridge's own events whose answer is held (OWN_ONLY_HOLD_MS).
    const bothIn = new Map<number, number>();
    const bothOut = new Map<string, number>();
    const half = Math.max(1, Math.floor(paced / 2));
    await bridge.ask({ type: 'mark' }, 'marked', 10_000);
    await pace(half, rate / 2, (from, to) => {
      const at = performance.now();
      for (let i = from; i < to; i++) bothIn.set(ircSay(i % SPEAKERS, 'm'), at);
      for (const e of matrixEvents(to - from, 'x', offset + paced + from))
        bothOut.set(String((e.content as { body: string }).body), at);
    });
    await waitUntil(
      () =>
        [...bothIn.keys()].every((n) => arrivals.has(n)) &&
        [...bothOut.keys()].every((k) => heard.has(k)),
      60_000,
      'paced, both ways',
    );
    const bothStats = await bridge.ask({ type: 'stats' }, 'stats', 10_000);
    const both = {
      ircToMatrix: latencyOf([...bothIn].map(([n, at]) => arrivals.get(n)! - at)),
      matrixToIrc: latencyOf([...bothOut].map(([k, at]) => heard.get(k)! - at)),
      inBridge: {
        ircToMatrix: bothStats.bridgeLatencyMs.to_matrix,
        matrixToIrc: bothStats.bridgeLatencyMs.to_network,
      },
      loopDelayMs: bothStats.loopDelayMs,
    };
    log(
      `  both ways at once, ${rate / 2} msg/s each: IRC → Matrix p50 ${both.ircToMatrix.p50} ms, p99 ${both.ircToMatrix.p99} ms; Matrix → IRC p50 ${both.matrixToIrc.p50} ms, p99 ${both.matrixToIrc.p99} ms (end to end); in the bridge p99 ≤ ${both.inBridge.ircToMatrix.p99} and ≤ ${both.inBridge.matrixToIrc.p99} ms (event-loop delay p99 ${round(both.loopDelayMs.p99)} ms, max ${round(both.loopDelayMs.max)} ms)`,
    );

    // Over every phase above.
    const order = {
      ircToMatrix: {
        outOfOrder: matrixOrder.outOfOrder(ircOrder, (line) => line.startsWith('m ')),
        doubled: matrixOrder.doubled,
      },
      matrixToIrc: {
        outOfOrder: ircOrder.outOfOrder(matrixOrder, (line) => !line.startsWith('m ')),
        doubled: ircOrder.doubled,
      },
    };
    log(
      `  order: IRC → Matrix ${order.ircToMatrix.outOfOrder} lines out of their room's order, ${order.ircToMatrix.doubled} doubled; Matrix → IRC ${order.matrixToIrc.outOfOrder} out of their sender's order, ${order.matrixToIrc.doubled} doubled`,
    );

    return {
      stream,
      order,
      ircToMatrixPerSecond: ircToMatrix,
      matrixToIrcPerSecond: matrixToIrc,
      bridgeCpuMsPerMessage: { ircToMatrix: round(inCpu, 3), matrixToIrc: round(outCpu, 3) },
      ircToMatrixTransactions: { count: inTxns, events: inTxnEvents },
      pacedPerSecond: rate,
      ircToMatrixLatencyMs: inLatency,
      matrixToIrcLatencyMs: outLatency,
      bridgeLoopDelayMs: { ircToMatrix: inLoop, matrixToIrc: outLoop },
      bridgeLatencyMs: { ircToMatrix: inBridge, matrixToIrc: outBridge },
      bothWaysLatencyMs: both,
    };
  } finally {
    for (const p of peers) p.close();
    await bridge.stop().catch(() => undefined);
    await hs.close();
    await database.cleanup();
  }
}
