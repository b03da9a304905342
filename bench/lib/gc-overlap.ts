/**
 * Whether the packets the bridge held longest were held by its media thread's garbage collector:
 * each relayed packet's time in the bridge on the wire ([t_in, t_out], kernel timestamps, µs since
 * the epoch: wire-hold.ts) against the media threads' GC pauses ([start, start + length], the same
 * clock: bridges/sip/media/gc-watch.ts). A packet "in a pause" when the two intervals meet. The
 * share of all packets in a pause is the chance level the share of the slowest is to be read
 * against (a pause of 5 ms every 0.4 s meets about 1 % of packets by chance).
 */
import { percentile } from './stats.js';

export interface GcOverlap {
  /** Pauses whose interval is inside the packets' span. */
  pauses: number;
  packets: number;
  /** Share (%) of all packets in a pause. */
  allInPausePercent: number;
  /** The hold at the p99 (ms): the slowest are the packets held at least this long. */
  p99HoldMs: number;
  slowest: number;
  /** Share (%) of the slowest in a pause. */
  slowestInPausePercent: number;
  /** Hold p50 (ms) of the packets in a pause, and of those in none. */
  inPauseHoldP50Ms: number;
  outsideHoldP50Ms: number;
  /** The hold's p99 (ms) of the packets in no pause: what the hold would be without the pauses. */
  outsideHoldP99Ms: number;
}

/** `pairs`: [t_in, t_out] per packet; `pauses`: [start, length] (all µs). */
export function gcOverlap(pairs: [number, number][], pauses: [number, number][]): GcOverlap {
  const sorted = [...pauses].sort((a, b) => a[0] - b[0]);
  const starts = sorted.map((p) => p[0]);
  // The longest pause bounds how far back a pause that still meets an interval can start.
  const longest = sorted.reduce((m, p) => Math.max(m, p[1]), 0);
  const meets = (a: number, b: number): boolean => {
    // The first pause starting after b; pauses before it that end at or after a meet [a, b].
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]! <= b) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0 && starts[i]! >= a - longest; i--)
      if (starts[i]! + sorted[i]![1] >= a) return true;
    return false;
  };
  const holds = pairs.map(([a, b]) => (b - a) / 1000);
  const sortedHolds = [...holds].sort((x, y) => x - y);
  const p99 = percentile(sortedHolds, 99);
  const inside: number[] = [];
  const outside: number[] = [];
  let slowest = 0;
  let slowestIn = 0;
  pairs.forEach(([a, b], i) => {
    const hit = meets(a, b);
    (hit ? inside : outside).push(holds[i]!);
    if (holds[i]! >= p99) {
      slowest++;
      if (hit) slowestIn++;
    }
  });
  inside.sort((x, y) => x - y);
  outside.sort((x, y) => x - y);
  const first = pairs.reduce((m, p) => Math.min(m, p[0]), Infinity);
  const last = pairs.reduce((m, p) => Math.max(m, p[1]), -Infinity);
  return {
    pauses: sorted.filter(([s, d]) => s + d >= first && s <= last).length,
    packets: pairs.length,
    allInPausePercent: pairs.length ? (inside.length / pairs.length) * 100 : 0,
    p99HoldMs: p99,
    slowest,
    slowestInPausePercent: slowest ? (slowestIn / slowest) * 100 : 0,
    inPauseHoldP50Ms: percentile(inside, 50),
    outsideHoldP50Ms: percentile(outside, 50),
    outsideHoldP99Ms: percentile(outside, 99),
  };
}
