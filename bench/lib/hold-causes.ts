/**
 * Where each relayed packet's time in the bridge went: its hold on the wire ([t_in, t_out],
 * kernel timestamps on lo, wire-hold.ts) laid over its media thread's states from the kernel's
 * scheduler events (sched-trace.ts) and the thread's GC pauses (bridges/sip/media/gc-watch.ts),
 * all on the epoch clock in µs. While a packet is held the media thread is
 *
 * - **running** (other packets' work, timers, or a GC pause: `running (GC)`),
 * - **waiting for a core** (runnable, not running: `waiting for a core behind X`, X the task that
 *   had the CPU it then got, or that preempted it),
 * - **asleep**, until something woke it: `asleep until woken by X` — a soft IRQ (loopback
 *   delivering a datagram: the packet was not yet in its socket), a hard IRQ (a timer), or a task
 *   (one of the bridge's own threads: a lock or V8's GC helpers the thread waited for; `(GC)`
 *   when inside a pause),
 * - or `unknown` (before its first event in the trace).
 *
 * Summed per packet, then averaged over the packets held ≥ p99 and over all: what the slowest
 * packets waited on, against the same for every packet. Also the packets in the bridge ahead of
 * each (arrived before it and not yet sent, both ways): how many packets' work it waited behind.
 */
import type { SchedEvent } from './sched-trace.js';
import { percentile } from './stats.js';

interface Segment {
  start: number;
  end: number;
  state: string;
}

/** The media thread's states as contiguous segments over the trace. */
export function timeline(
  events: SchedEvent[],
  tid: number,
  who: (pid: number, comm: string) => string,
): Segment[] {
  const segs: Segment[] = [];
  let state = 'unknown';
  let since = events.length ? events[0]!.t : 0;
  /** Known for a preemption; else taken from the switch that puts the thread back on a CPU. */
  let behind: string | undefined;
  const close = (t: number, as: string) => {
    if (t > since) segs.push({ start: since, end: t, state: as });
    since = t;
  };
  for (const e of events) {
    if (e.kind === 'switch') {
      if (e.nextPid === tid) {
        close(
          e.t,
          state === 'ready'
            ? `waiting for a core behind ${behind ?? who(e.prevPid, e.prevComm)}`
            : state,
        );
        state = 'running';
        behind = undefined;
      } else if (e.prevPid === tid) {
        close(e.t, 'running');
        if (e.prevState.startsWith('R')) {
          state = 'ready';
          behind = who(e.nextPid, e.nextComm);
        } else {
          state = 'asleep';
          behind = undefined;
        }
      }
    } else if (e.pid === tid && (state === 'asleep' || state === 'unknown')) {
      const by =
        e.context === 'softirq'
          ? `a soft IRQ (network) in ${who(e.wakerPid, e.wakerComm)}`
          : e.context === 'hardirq'
            ? 'a hard IRQ (timer)'
            : who(e.wakerPid, e.wakerComm);
      close(e.t, state === 'asleep' ? `asleep until woken by ${by}` : 'unknown');
      state = 'ready';
    }
  }
  return segs;
}

export interface HoldCauses {
  packets: number;
  slowest: number;
  p99HoldMs: number;
  /** Mean hold (ms) of the slowest, and of all. */
  slowestMeanMs: number;
  allMeanMs: number;
  /** Mean ms per packet in each state: over the slowest, and over all (the same keys). */
  slowestByState: Record<string, number>;
  allByState: Record<string, number>;
  /** Packets in the bridge ahead of each when it arrived: p50 and mean, slowest and all. */
  ahead: { slowestP50: number; slowestMean: number; allP50: number; allMean: number };
}

/**
 * `pairs`: this direction's [t_in, t_out]; `everyPair`: both directions' (for the packets ahead);
 * `pauses`: [start, length]; `segs` from timeline(). All µs.
 */
export function holdCauses(
  pairs: [number, number][],
  everyPair: [number, number][],
  segs: Segment[],
  pauses: [number, number][],
): HoldCauses {
  const gc = [...pauses].sort((a, b) => a[0] - b[0]).map(([s, d]) => [s, s + d] as const);
  const gcIn = (a: number, b: number): number => {
    let sum = 0;
    // Pauses do not overlap one another (one thread's); the first ending after a.
    for (let i = firstWhere(gc.length, (k) => gc[k]![1] > a); i < gc.length && gc[i]![0] < b; i++)
      sum += Math.max(0, Math.min(b, gc[i]![1]) - Math.max(a, gc[i]![0]));
    return sum;
  };
  const starts = segs.map((s) => s.start);
  const split = (a: number, b: number): Map<string, number> => {
    const out = new Map<string, number>();
    const add = (k: string, us: number) => us > 0 && out.set(k, (out.get(k) ?? 0) + us);
    let covered = 0;
    for (let i = segmentAt(starts, a); i < segs.length && segs[i]!.start < b; i++) {
      const s = segs[i]!;
      const x = Math.max(a, s.start);
      const y = Math.min(b, s.end);
      if (y <= x) continue;
      covered += y - x;
      const inGc = s.state === 'running' || s.state.startsWith('asleep') ? gcIn(x, y) : 0;
      add(`${s.state} (GC)`, inGc);
      add(s.state, y - x - inGc);
    }
    add('unknown', b - a - covered);
    return out;
  };
  const ins = everyPair.map((p) => p[0]).sort((x, y) => x - y);
  const outs = everyPair.map((p) => p[1]).sort((x, y) => x - y);
  const countBelow = (sorted: number[], x: number, inclusive: boolean) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (inclusive ? sorted[mid]! <= x : sorted[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const holds = pairs.map(([a, b]) => b - a);
  const p99 = percentile(
    [...holds].sort((x, y) => x - y),
    99,
  );
  const slowestBy = new Map<string, number>();
  const allBy = new Map<string, number>();
  const aheadSlow: number[] = [];
  const aheadAll: number[] = [];
  let slowest = 0;
  let slowSum = 0;
  let allSum = 0;
  pairs.forEach(([a, b], i) => {
    const parts = split(a, b);
    const ahead = countBelow(ins, a, false) - countBelow(outs, a, true);
    const slow = holds[i]! >= p99;
    allSum += b - a;
    aheadAll.push(ahead);
    for (const [k, us] of parts) allBy.set(k, (allBy.get(k) ?? 0) + us);
    if (!slow) return;
    slowest++;
    slowSum += b - a;
    aheadSlow.push(ahead);
    for (const [k, us] of parts) slowestBy.set(k, (slowestBy.get(k) ?? 0) + us);
  });
  const mean = (m: Map<string, number>, n: number) =>
    Object.fromEntries(
      [...m].sort((x, y) => y[1] - x[1]).map(([k, us]) => [k, us / 1000 / Math.max(1, n)]),
    );
  const avg = (v: number[]) => v.reduce((s, x) => s + x, 0) / Math.max(1, v.length);
  aheadSlow.sort((x, y) => x - y);
  aheadAll.sort((x, y) => x - y);
  return {
    packets: pairs.length,
    slowest,
    p99HoldMs: p99 / 1000,
    slowestMeanMs: slowSum / 1000 / Math.max(1, slowest),
    allMeanMs: allSum / 1000 / Math.max(1, pairs.length),
    slowestByState: mean(slowestBy, slowest),
    allByState: mean(allBy, pairs.length),
    ahead: {
      slowestP50: percentile(aheadSlow, 50),
      slowestMean: avg(aheadSlow),
      allP50: percentile(aheadAll, 50),
      allMean: avg(aheadAll),
    },
  };
}

/** The first index in [0, n) where `after(i)` holds, `after` being false then true along a sorted array. */
function firstWhere(n: number, after: (i: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (after(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The segment (by sorted start times) that holds time `t`, or the first one. */
const segmentAt = (starts: number[], t: number) =>
  Math.max(0, firstWhere(starts.length, (i) => starts[i]! > t) - 1);

/**
 * A thread's states summed over intervals ([start, end], µs): e.g. where the peers' main thread
 * was while the media thread collected garbage. Shares (%) of the intervals' total, largest first.
 */
export function statesOver(
  segs: Segment[],
  intervals: [number, number][],
): { totalMs: number; percent: Record<string, number> } {
  const by = new Map<string, number>();
  let total = 0;
  const starts = segs.map((s) => s.start);
  for (const [a, b] of intervals) {
    total += b - a;
    let covered = 0;
    for (let i = segmentAt(starts, a); i < segs.length && segs[i]!.start < b; i++) {
      const x = Math.max(a, segs[i]!.start);
      const y = Math.min(b, segs[i]!.end);
      if (y <= x) continue;
      covered += y - x;
      by.set(segs[i]!.state, (by.get(segs[i]!.state) ?? 0) + y - x);
    }
    if (b - a > covered) by.set('unknown', (by.get('unknown') ?? 0) + b - a - covered);
  }
  return {
    totalMs: total / 1000,
    percent: Object.fromEntries(
      [...by].sort((x, y) => y[1] - x[1]).map(([k, us]) => [k, (100 * us) / Math.max(1, total)]),
    ),
  };
}

/** Labels for the tasks in the trace: the bridge's threads, this process's, the rest by name. */
export function taskLabels(groups: {
  media: Set<number>;
  bridgeMain: number;
  bridge: Set<number>;
  bench: Set<number>;
}): (pid: number, comm: string) => string {
  return (pid, comm) =>
    pid === 0
      ? 'idle'
      : groups.media.has(pid)
        ? 'a media thread'
        : pid === groups.bridgeMain
          ? "the bridge's main thread"
          : groups.bridge.has(pid)
            ? `the bridge's other threads (${comm})`
            : groups.bench.has(pid)
              ? 'the peers (this process)'
              : comm.startsWith('ksoftirqd')
                ? 'ksoftirqd'
                : comm.startsWith('kworker')
                  ? 'kernel workers'
                  : /^(tcpdump|kamailio)$/.test(comm)
                    ? comm
                    : 'other processes';
}
