/**
 * The SIP media benchmark's measured window: every end sends for `seconds` after a warm-up, and
 * over the same packets this process's CPU, threads and event loop, Kamailio's threads and each
 * CPU's busy share are read (threads.ts), then the loss and delay variation each way
 * (media-peers.ts). Told as lines through `log`.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pace50, summary, type Stream, type StreamFigures } from './media-peers.js';
import { sleep } from './pusher.js';
import type { LoopDelay } from '../../bridges/sip/media/relay-protocol.js';
import { round } from './stats.js';
import {
  cpuBusyPercent,
  cpuStealMs,
  cpuTicks,
  groups,
  processTree,
  snapshot,
  type TaskTimes,
  type ThreadGroup,
} from './threads.js';

type Summary = ReturnType<typeof summary>;
type End = { out: Stream; send(): void };

/** The calls' peers, here or in peer processes (peer-processes.ts): paced, measured, read. */
export interface Load {
  pace(on: boolean): void | Promise<void>;
  measure(on: boolean): void | Promise<void>;
  /** Each way's streams (a: toward Matrix), as measured so far. */
  streams(): Promise<{ a: StreamFigures[]; b: StreamFigures[] }>;
}

/** Ends of this process, paced on its event loop. */
export function localLoad(a: End[], b: End[]): Load {
  let stop: (() => void) | undefined;
  return {
    pace: (on) => {
      stop?.();
      stop = on ? pace50([...a, ...b]) : undefined;
    },
    measure: (on) => {
      for (const e of [...a, ...b]) e.out.measure(on);
    },
    streams: () => Promise.resolve({ a: a.map((e) => e.out), b: b.map((e) => e.out) }),
  };
}

export class MeasuredWindow {
  constructor(
    private readonly seconds: number,
    private readonly log: (line: string) => void,
    /** Kamailio's PID file while it runs (the bridged phase); none before. */
    private readonly kamailioPidFile: () => string | undefined,
  ) {}

  /** One line per direction: streams, loss, delay and delay variation. */
  describe(label: string, s: Summary): void {
    this.log(
      `  ${label.padEnd(16)} ${s.streams} streams${s.dead ? ` (and ${s.dead} that never came through)` : ''}: ${s.sent} sent (${round(s.sent / Math.max(1, s.streams) / this.seconds)}/s a stream), ${s.received} came, loss ${round(s.lossPercent, 3)} %` +
        (s.duplicates ? ` (${s.duplicates} twice)` : '') +
        `; delay p50 ${round(s.delayMs.p50, 2)} / p99 ${round(s.delayMs.p99, 2)} ms;` +
        ` jitter (delay variation) p50 ${round(s.jitterMs.p50, 2)} / p99 ${round(s.jitterMs.p99, 2)} / max ${round(s.jitterMs.max, 1)} ms`,
    );
  }

  /**
   * Inside each media thread (bridges/sip/media/relay-probe.ts): how late packets reached the
   * relay (delay variation at its handler: the time they waited in its sockets) and how long it
   * held them (its handler to the send on the other leg).
   */
  describeProbe(media: LoopDelay[]): void {
    media.forEach((d, i) => {
      for (const [label, way] of [
        ['SIP → Matrix', d.packets.toMatrix],
        ['Matrix → SIP', d.packets.toSip],
      ] as const)
        this.log(
          `  thread ${i + 1} ${label}: ${way.heldUs.count} packets reached the relay with delay variation` +
            ` p50 ${round(way.arrivalMs.p50, 2)} / p99 ${round(way.arrivalMs.p99, 2)} / max ${round(way.arrivalMs.max, 1)} ms;` +
            ` held by it p50 ${round(way.heldUs.p50)} / p99 ${round(way.heldUs.p99)} / max ${round(way.heldUs.max)} µs`,
        );
    });
  }

  /**
   * Each media thread's garbage collector over the window (bridges/sip/media/gc-watch.ts): its
   * pauses, how much of the window they took, and the bytes its JavaScript allocated per packet
   * it relayed.
   */
  describeGc(media: LoopDelay[]): void {
    media.forEach((d, i) => {
      const g = d.gc;
      if (!g) return;
      const packets = d.packets.toMatrix.heldUs.count + d.packets.toSip.heldUs.count;
      const c = g.counts;
      const n = c.minor + c.major + c.incremental + c.weak;
      this.log(
        `  thread ${i + 1} GC: ${n} pauses (${c.minor} scavenges, ${c.major} mark-compact, ${c.incremental} incremental marking, ${c.weak} weak callbacks),` +
          ` one every ${round(g.windowMs / Math.max(1, n))} ms; pause p50 ${round(g.pauseMs.p50, 2)} / p99 ${round(g.pauseMs.p99, 2)} / max ${round(g.pauseMs.max, 2)} ms` +
          ` (scavenges p50 ${round(g.minorMs.p50, 2)} / max ${round(g.minorMs.max, 2)} ms), ${round((g.pauseMs.total / g.windowMs) * 100, 2)} % of the window;` +
          ` young generation ${round(g.youngBytes / 1048576, 1)} MB;` +
          ` allocated ${round(g.allocatedBytes / 1048576)} MB, ${round(g.allocatedBytes / Math.max(1, packets) / 1024, 2)} KB per packet relayed (${packets})`,
      );
    });
  }

  /** One line per thread group: CPU, and how long it waited on a run queue for a core. */
  describeThreads(who: string, threads: ThreadGroup[]): void {
    for (const g of threads)
      this.log(
        `  ${who}, ${g.label}${g.threads > 1 ? ` (${g.threads})` : ''}: CPU ${round(g.cpuMs)} ms (${round(g.corePercent)} % of a core),` +
          ` run-queue wait ${round(g.waitMs)} ms (${round(g.waitPerCpu, 3)} ms per ms of CPU;` +
          ` ${g.slices} times on a CPU, ${round(g.waitPerSlice * 1000)} µs waited each)`,
      );
  }

  /**
   * Sends from every end for the window, then waits for the stragglers; the two ways' summaries.
   * `window` is told when the measured window starts (after the warm-up) and ends: the bridge's
   * figures (CPU, event loops, its probe) cover the same packets as this process's.
   */
  async measure(load: Load, window?: { start(): Promise<void>; end(): Promise<void> }) {
    await load.pace(true);
    await sleep(2000); // warm-up (ICE consent, the first packets' paths)
    await window?.start();
    await load.measure(true);
    const cpu0 = process.cpuUsage();
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const kamailio = this.kamailioPids();
    const before = { self: snapshot(process.pid), kamailio: tasksOf(kamailio), cpus: cpuTicks() };
    const t0 = performance.now();
    await sleep(this.seconds * 1000);
    const cpu = process.cpuUsage(cpu0);
    const windowMs = performance.now() - t0;
    const after = { self: snapshot(process.pid), kamailio: tasksOf(kamailio), cpus: cpuTicks() };
    loop.disable();
    await load.measure(false);
    await window?.end();
    const benchThreads = groups(before.self, after.self, windowMs, (tid) =>
      tid === process.pid ? 'main thread' : 'other threads (V8, libuv)',
    );
    const kamailioThreads = groups(
      before.kamailio,
      after.kamailio,
      windowMs,
      () => 'all processes',
    );
    const cpus = cpuBusyPercent(before.cpus, after.cpus);
    const benchLoopMs = {
      p50: loop.percentile(50) / 1e6,
      p99: loop.percentile(99) / 1e6,
      max: loop.max / 1e6,
    };
    this.describeThreads('this process', benchThreads);
    this.log(
      `  this process's event loop delay p50 ${round(benchLoopMs.p50, 2)} / p99 ${round(benchLoopMs.p99, 2)} / max ${round(benchLoopMs.max, 1)} ms` +
        ' (its receive handlers stamp arrivals: this is in every figure below)',
    );
    if (kamailio.length) this.describeThreads('Kamailio', kamailioThreads);
    this.log(
      `  CPUs busy: ${Object.entries(cpus)
        .map(([c, p]) => `${c} ${round(p)} %`)
        .join(', ')}; taken by the host (steal, 10 ms ticks): ${Object.entries(
        cpuStealMs(before.cpus, after.cpus),
      )
        .map(([c, ms]) => `${c} ${ms} ms`)
        .join(', ')}`,
    );
    await load.pace(false);
    await sleep(1000); // the last frames in flight
    // This process plays both ends: when it runs out of CPU, the figures are its own, not the bridge's.
    const benchCorePercent = (cpu.user + cpu.system) / 10_000 / this.seconds;
    this.log(
      `  (this process, the phones and Matrix clients: ${round(benchCorePercent)} % of a core)`,
    );
    const { a, b } = await load.streams();
    return {
      aToB: summary(a),
      bToA: summary(b),
      benchCorePercent,
      benchThreads,
      benchLoopMs,
      kamailioThreads,
      cpus,
    };
  }

  /** Kamailio's processes while it runs. */
  kamailioPids(): number[] {
    const file = this.kamailioPidFile();
    if (!file) return [];
    try {
      return processTree(Number(readFileSync(file, 'utf8').trim()));
    } catch {
      return [];
    }
  }
}

function tasksOf(pids: number[]): Map<number, TaskTimes> {
  const all = new Map<number, TaskTimes>();
  for (const pid of pids) for (const [tid, t] of snapshot(pid)) all.set(tid, t);
  return all;
}
