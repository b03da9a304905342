/**
 * The bridge under test, in a process of its own (as in production, where the homeserver is
 * another process): the real Switchboard with the echo bridge, driven over IPC by
 * `inbox.bench.ts` (through `lib/bridge-handle.ts`). It samples its own memory every 50 ms and
 * reports peaks and CPU time.
 *
 * Messages in:  {type:'start', config}   → {type:'ready', port}
 *               {type:'mark'}            → resets peaks and the CPU counter → {type:'marked'}
 *               {type:'stats'}           → {type:'stats', ...}
 *               {type:'stages', prefix}  → {type:'stages', times} (started with `stages: true`)
 *               {type:'stop'}            → stops the bridge → {type:'stopped'}, then exits
 * With SWITCHBOARD_BENCH_PHASE_PROF=<dir>, each mark → stats phase is profiled on its own
 * (`<dir>/<pid>-phase<n>.cpuprofile`), so a profile shows one scenario and not the set-up.
 * With SWITCHBOARD_BENCH_HEAP_PROF=<dir>, a sampling heap profile of each phase
 * (`<dir>/<pid>-phase<n>.heapprofile`, collected objects included: lib/heap-profiler.ts).
 */
import type { LoopDelay } from '../bridges/sip/media/relay-protocol.js';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Histogram } from 'prom-client';
import { PhaseProfiler } from './lib/phase-profiler.js';
import { HeapPhaseProfiler } from './lib/heap-profiler.js';
import { pino } from 'pino';
import { EchoConnector } from '../bridges/echo/index.js';
import { DiscordConnector } from '../bridges/discord/index.js';
import { EmailConnector } from '../bridges/email/index.js';
import { IrcConnector } from '../bridges/irc/index.js';
import { SipConnector } from '../bridges/sip/index.js';
import { XmppConnector } from '../bridges/xmpp/index.js';
import { configSchema } from '../src/config/schema.js';
import { Switchboard } from '../src/core/switchboard.js';
import type { Direction } from '../src/observability/metrics.js';
import { StageClock, type StageTimes } from './lib/stage-clock.js';
import { bucketPercentileMs, type Buckets } from './lib/stats.js';
import { groups, snapshot, type TaskTimes, type ThreadGroup } from './lib/threads.js';

export type ToBridge =
  | {
      type: 'start';
      config: unknown;
      connector?: 'echo' | 'irc' | 'discord' | 'email' | 'sip' | 'xmpp';
      /** Time each XMPP → Matrix message's stages (lib/stage-clock.ts; costs CPU of its own). */
      stages?: boolean;
    }
  /** The stage times of the messages whose body starts with `prefix` (then forgotten). */
  | { type: 'stages'; prefix: string }
  | { type: 'mark' }
  | { type: 'stats' }
  | { type: 'memory' }
  | { type: 'stop' };

export interface BridgeStats {
  type: 'stats';
  peakRssBytes: number;
  peakHeapUsedBytes: number;
  peakHeapTotalBytes: number;
  /** User + system CPU time since the last mark. */
  cpuMs: number;
  cpuSystemMs: number;
  samples: number;
  /** How late the event loop ran timers since the mark (its stalls delay every message). */
  loopDelayMs: { p50: number; p99: number; max: number };
  /** The same for each of the SIP bridge's media threads (relayed calls), when it has any. */
  mediaLoopDelayMs: LoopDelay[];
  /**
   * This process's threads since the mark (Linux schedstat): CPU and run-queue wait of the main
   * thread, each media thread, and the rest (V8's GC and compiler threads, libuv's pool).
   */
  threads: ThreadGroup[];
  /**
   * The bridge's own latency since the mark (its send-latency histogram: from an event reaching
   * the bridge to the other side accepting it), by direction: bucket upper bounds, in ms.
   */
  bridgeLatencyMs: Record<Direction, { p50: number; p99: number; count: number }>;
  /**
   * The bridge's own answer to the homeserver's transactions since the mark (its 200s: body
   * arrived → answer ready): bucket upper bounds, in ms.
   */
  answerMs: { p50: number; p99: number; count: number };
}

export type FromBridge =
  | { type: 'ready'; port: number }
  | { type: 'marked' }
  | BridgeStats
  /** After a full garbage collection (the process runs with --expose-gc). */
  | { type: 'memory'; heapUsedBytes: number; rssBytes: number }
  | { type: 'stopped' }
  | { type: 'stages'; times: StageTimes; reads: number; writes: number }
  | { type: 'error'; message: string };

const SAMPLE_MS = 200; // process.memoryUsage() costs ~0.1 ms: sampled more often it shows in the profile

let bridge: Switchboard | undefined;
/** The SIP connector, for its media threads' event-loop delay. */
let sip: SipConnector | undefined;
let peaks = { rss: 0, heapUsed: 0, heapTotal: 0, samples: 0 };
let cpuStart = process.cpuUsage();
let tasksAtMark: Map<number, TaskTimes> = new Map();
/** `media.process`: the media threads' own processes (their CPU is the bridge's too). */
let mediaPids: number[] = [];
const childTasks = () => {
  const all = new Map<number, TaskTimes>();
  for (const pid of mediaPids) for (const [tid, t] of snapshot(pid)) all.set(tid, t);
  return all;
};
let childTasksAtMark: Map<number, TaskTimes> = new Map();
let markedAt = performance.now();
let stageClock: StageClock | undefined;

function sample(): void {
  const m = process.memoryUsage();
  peaks.rss = Math.max(peaks.rss, m.rss);
  peaks.heapUsed = Math.max(peaks.heapUsed, m.heapUsed);
  peaks.heapTotal = Math.max(peaks.heapTotal, m.heapTotal);
  peaks.samples++;
}
setInterval(sample, SAMPLE_MS).unref();
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();

/** SWITCHBOARD_BENCH_PHASE_PROF=<dir>: a V8 CPU profile of each phase (mark → stats). */
const phases = new PhaseProfiler(process.env.SWITCHBOARD_BENCH_PHASE_PROF);
/** SWITCHBOARD_BENCH_HEAP_PROF=<dir>: a sampling heap profile of each phase (allocation). */
const heapPhases = new HeapPhaseProfiler(process.env.SWITCHBOARD_BENCH_HEAP_PROF);

let latencyAtMark = new Map<Direction, Buckets>();
let answersAtMark: Buckets = new Map();

type HistogramValues = Awaited<ReturnType<Histogram<string>['get']>>['values'];

/** A histogram's cumulative buckets, summed over the series whose labels `key` names (undefined: left out). */
function bucketsBy<K>(
  values: HistogramValues,
  key: (labels: Record<string, unknown>) => K | undefined,
) {
  const by = new Map<K, Buckets>();
  for (const v of values) {
    const k = key(v.labels);
    if (v.metricName?.endsWith('_bucket') !== true || k === undefined) continue;
    const buckets = by.get(k) ?? by.set(k, new Map()).get(k)!;
    const { le: bound } = v.labels as { le?: number | string };
    const le = bound === '+Inf' ? Infinity : Number(bound);
    buckets.set(le, (buckets.get(le) ?? 0) + v.value);
  }
  return by;
}

/** The send-latency histogram's cumulative buckets per direction (all bridges together). */
async function latencyBuckets(): Promise<Map<Direction, Buckets>> {
  if (!bridge) return new Map();
  const values = (await bridge.metrics.sendLatency.get()).values;
  return bucketsBy(values, (labels) => labels.direction as Direction);
}

/** The transaction-answer histogram's cumulative buckets, of the 200s. */
async function answerBuckets(): Promise<Buckets> {
  if (!bridge) return new Map();
  const values = (await bridge.metrics.transactionAnswer.get()).values;
  return (
    bucketsBy(values, (labels) => (labels.status === '200' ? 'ok' : undefined)).get('ok') ??
    new Map()
  );
}

/** Percentiles (bucket upper bounds, ms) of what a histogram observed since its mark. */
function sinceMark(before: Buckets | undefined, after: Buckets | undefined) {
  const from = before ?? new Map<number, number>();
  const to = after ?? new Map<number, number>();
  return {
    p50: bucketPercentileMs(from, to, 50),
    p99: bucketPercentileMs(from, to, 99),
    count: (to.get(Infinity) ?? 0) - (from.get(Infinity) ?? 0),
  };
}

async function bridgeLatencyMs(): Promise<BridgeStats['bridgeLatencyMs']> {
  const now = await latencyBuckets();
  const of = (d: Direction) => sinceMark(latencyAtMark.get(d), now.get(d));
  return { to_matrix: of('to_matrix'), to_network: of('to_network') };
}

function send(msg: FromBridge): void {
  process.send?.(msg);
}

async function onMessage(msg: ToBridge): Promise<void> {
  switch (msg.type) {
    case 'start': {
      const config = configSchema.parse(msg.config);
      if (msg.stages) {
        stageClock = new StageClock();
        stageClock.install();
      }
      // Silent, as asked of the benchmark: a log line per event would measure pino.
      const connectors = {
        echo: () => new EchoConnector(),
        irc: () => new IrcConnector(),
        discord: () => new DiscordConnector(),
        email: () => new EmailConnector(),
        sip: () => new SipConnector(),
        xmpp: () => new XmppConnector(),
      };
      const connector = connectors[msg.connector ?? 'echo']();
      if (connector instanceof SipConnector) sip = connector;
      bridge = new Switchboard(config, [connector], pino({ level: 'silent' }), {
        skipPing: true,
      });
      await bridge.start();
      send({ type: 'ready', port: bridge.port });
      return;
    }
    case 'mark':
      peaks = { rss: 0, heapUsed: 0, heapTotal: 0, samples: 0 };
      sample();
      cpuStart = process.cpuUsage();
      tasksAtMark = snapshot(process.pid);
      markedAt = performance.now();
      loopDelay.reset();
      stageClock?.restart();
      mediaPids = [
        ...new Set(
          ((await sip?.mediaLoopDelay(true)) ?? []).flatMap((m) =>
            m.pid !== undefined && m.pid !== process.pid ? [m.pid] : [],
          ),
        ),
      ];
      childTasksAtMark = childTasks();
      latencyAtMark = await latencyBuckets();
      answersAtMark = await answerBuckets();
      await phases.start();
      await heapPhases.start();
      send({ type: 'marked' });
      return;
    case 'stats': {
      sample();
      const cpu = process.cpuUsage(cpuStart);
      const tasks = snapshot(process.pid);
      const children = childTasks();
      const windowMs = performance.now() - markedAt;
      await phases.stop();
      await heapPhases.stop();
      const media = (await sip?.mediaLoopDelay()) ?? [];
      const mediaTids = new Map(media.map((m, i) => [m.tid, `media thread ${i + 1}`]));
      const threads = groups(
        new Map([...tasksAtMark, ...childTasksAtMark]),
        new Map([...tasks, ...children]),
        windowMs,
        (tid) =>
          tid === process.pid
            ? 'main thread'
            : (mediaTids.get(tid) ??
              (children.has(tid)
                ? 'media processes, other threads (V8, libuv)'
                : 'other threads (V8, libuv)')),
      );
      // The media processes' CPU (every thread of theirs) is the bridge's too.
      let childCpuNs = 0;
      for (const [tid, t] of children)
        childCpuNs += t.cpuNs - (childTasksAtMark.get(tid)?.cpuNs ?? 0);
      send({
        type: 'stats',
        peakRssBytes: peaks.rss,
        peakHeapUsedBytes: peaks.heapUsed,
        peakHeapTotalBytes: peaks.heapTotal,
        cpuMs: (cpu.user + cpu.system) / 1000 + childCpuNs / 1e6,
        cpuSystemMs: cpu.system / 1000,
        samples: peaks.samples,
        loopDelayMs: {
          p50: loopDelay.percentile(50) / 1e6,
          p99: loopDelay.percentile(99) / 1e6,
          max: loopDelay.max / 1e6,
        },
        mediaLoopDelayMs: media,
        threads,
        bridgeLatencyMs: await bridgeLatencyMs(),
        answerMs: sinceMark(answersAtMark, await answerBuckets()),
      });
      return;
    }
    case 'memory': {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (!gc) throw new Error('the bridge process needs --expose-gc');
      gc();
      gc();
      const m = process.memoryUsage();
      send({ type: 'memory', heapUsedBytes: m.heapUsed, rssBytes: m.rss });
      return;
    }
    case 'stages':
      send({
        type: 'stages',
        ...(stageClock?.take(msg.prefix) ?? { times: {}, reads: 0, writes: 0 }),
      });
      return;
    case 'stop':
      await bridge?.stop();
      send({ type: 'stopped' });
      // A normal exit, so `--cpu-prof` writes its profile.
      process.disconnect?.();
      setTimeout(() => process.exit(0), 50).unref();
      return;
  }
}

process.on('message', (msg: ToBridge) => {
  onMessage(msg).catch((err: unknown) => {
    send({
      type: 'error',
      message: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
  });
});
