/** Small number helpers for the benchmark's results: nearest-rank percentiles, medians, rounding. */

import type { ThreadGroup } from './threads.js';

export const MB = 1024 * 1024;

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Median, min and max of one metric over several runs (runs without it are left out). */
export function summarize<T>(runs: T[], pick: (r: T) => number | null | undefined) {
  const values = runs
    .map(pick)
    .filter((v): v is number => typeof v === 'number' && !Number.isNaN(v));
  if (values.length === 0) return undefined;
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), values };
}

/** A histogram's cumulative bucket counts by upper bound (`le`, in seconds; `+Inf` too). */
export type Buckets = Map<number, number>;

/**
 * The upper bound (ms) of the bucket holding the p-th percentile of what was observed between two
 * snapshots of the same histogram: the true value is at or below it.
 */
export function bucketPercentileMs(before: Buckets, after: Buckets, p: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const count = (le: number) => (after.get(le) ?? 0) - (before.get(le) ?? 0);
  const total = count(Infinity);
  if (total === 0) return NaN;
  const bound = bounds.find((le) => count(le) >= (p / 100) * total) ?? Infinity;
  return bound * 1000;
}

/** A process's CPU over a wall-clock span, as a percentage of one core. */
export const coreShare = (cpu: NodeJS.CpuUsage, wallMs: number) =>
  round(((cpu.user + cpu.system) / 1000 / wallMs) * 100);

/**
 * Where a bridge's CPU per message went: in the kernel (on loopback a send also runs the
 * receiver's TCP processing), on its main thread and on the others (V8's GC and compiler, libuv's
 * pool: the log's fdatasync), how long the main thread waited for a core for each ms it ran, and
 * how often it was put on one (it sleeps and wakes more when it works on one message at a time).
 */
export function cpuSplit(
  stats: { cpuMs: number; cpuSystemMs: number; threads: ThreadGroup[] },
  messages: number,
): string {
  const per = (ms: number) => round(ms / messages, 3);
  const main = stats.threads.find((t) => t.label === 'main thread');
  const others = stats.threads.filter((t) => t !== main).reduce((sum, t) => sum + t.cpuMs, 0);
  return (
    `system ${per(stats.cpuSystemMs)}; main thread ${per(main?.cpuMs ?? NaN)}, other threads ${per(others)}` +
    (main
      ? `; the main thread waited ${round(main.waitPerCpu, 2)} ms for a core per ms it ran, and was put on one ${round(main.slices / messages, 2)} times a message`
      : '')
  );
}
