/**
 * The garbage collector's pauses of one thread (a media thread's own V8 isolate), over a window:
 * each pause's start (µs since the epoch, on the same clock as the kernel's packet timestamps of
 * `bench:sip-media`'s wire measure) and length, from a PerformanceObserver of 'gc' entries; and
 * how many bytes the thread's JavaScript allocated, from V8's GCProfiler (each collection's heap
 * use before it, less the use after the one before: what was allocated in between). Read by the
 * benchmark through the pool's `loopDelay` (relay-host.ts); off until asked for (a window's
 * start), so a bridge in production runs none of it.
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapStatistics, GCProfiler } from 'node:v8';

export interface GcFigures {
  /** The window's length, ms. */
  windowMs: number;
  /** Collections by kind: minor (scavenges of the young generation), major, incremental, weak. */
  counts: { minor: number; major: number; incremental: number; weak: number };
  /** Every pause's length, ms. */
  pauseMs: { p50: number; p99: number; max: number; total: number };
  /** The minor collections' (scavenges') pauses, ms. */
  minorMs: { p50: number; p99: number; max: number };
  /** Each pause: [start, µs since the epoch; length, µs] (the first MAX_PAUSES). */
  pauses: [number, number][];
  /** Bytes the thread's JavaScript allocated over the window (on V8's heap). */
  allocatedBytes: number;
  /** The young generation's size after the window's last collection, bytes. */
  youngBytes: number;
}

const MAX_PAUSES = 50_000;

interface ProfileStat {
  gcType: string;
  beforeGC: { heapStatistics: { usedHeapSize: number } };
  afterGC: {
    heapStatistics: { usedHeapSize: number };
    heapSpaceStatistics: { spaceName: string; spaceSize: number }[];
  };
}

const pick = (xs: number[], p: number): number =>
  xs.length ? xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]! : 0;

export class GcWatch {
  private observer?: PerformanceObserver;
  private profiler?: GCProfiler;
  private pauses: [number, number, number][] = [];
  private startedAt = 0;
  private usedAtStart = 0;

  /** (Re)starts the window. */
  start(): void {
    this.stop();
    this.pauses = [];
    this.startedAt = performance.now();
    this.usedAtStart = getHeapStatistics().used_heap_size;
    this.profiler = new GCProfiler();
    this.profiler.start();
    const origin = performance.timeOrigin;
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[])
        if (this.pauses.length < MAX_PAUSES)
          this.pauses.push([
            Math.round((origin + e.startTime) * 1000),
            Math.round(e.duration * 1000),
            e.detail?.kind ?? 0,
          ]);
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  get running(): boolean {
    return this.profiler !== undefined;
  }

  /** The window's figures so far (undefined when not started); `restart` begins a new one. */
  figures(restart: boolean): GcFigures | undefined {
    if (!this.profiler) return undefined;
    // The observer's entries come in a task after each collection: take the ones queued.
    const queued = this.observer?.takeRecords() ?? [];
    for (const e of queued as (PerformanceEntry & { detail?: { kind?: number } })[])
      this.pauses.push([
        Math.round((performance.timeOrigin + e.startTime) * 1000),
        Math.round(e.duration * 1000),
        e.detail?.kind ?? 0,
      ]);
    const usedNow = getHeapStatistics().used_heap_size;
    const stats = (this.profiler.stop()?.statistics ?? []) as ProfileStat[];
    this.profiler = undefined;
    let allocated = 0;
    let after = this.usedAtStart;
    let young = 0;
    for (const s of stats) {
      allocated += Math.max(0, s.beforeGC.heapStatistics.usedHeapSize - after);
      after = s.afterGC.heapStatistics.usedHeapSize;
      young =
        s.afterGC.heapSpaceStatistics.find((x) => x.spaceName === 'new_space')?.spaceSize ?? young;
    }
    allocated += Math.max(0, usedNow - after);
    const K = constants;
    const counts = { minor: 0, major: 0, incremental: 0, weak: 0 };
    const all: number[] = [];
    const minor: number[] = [];
    for (const [, us, kind] of this.pauses) {
      all.push(us / 1000);
      if (kind === K.NODE_PERFORMANCE_GC_MINOR) {
        counts.minor++;
        minor.push(us / 1000);
      } else if (kind === K.NODE_PERFORMANCE_GC_MAJOR) counts.major++;
      else if (kind === K.NODE_PERFORMANCE_GC_INCREMENTAL) counts.incremental++;
      else counts.weak++;
    }
    all.sort((a, b) => a - b);
    minor.sort((a, b) => a - b);
    const figures: GcFigures = {
      windowMs: performance.now() - this.startedAt,
      counts,
      pauseMs: {
        p50: pick(all, 50),
        p99: pick(all, 99),
        max: all[all.length - 1] ?? 0,
        total: all.reduce((a, b) => a + b, 0),
      },
      minorMs: { p50: pick(minor, 50), p99: pick(minor, 99), max: minor[minor.length - 1] ?? 0 },
      pauses: this.pauses.map(([start, us]) => [start, us]),
      allocatedBytes: allocated,
      youngBytes: young,
    };
    if (restart) this.start();
    else this.stop();
    return figures;
  }

  stop(): void {
    this.observer?.disconnect();
    this.observer = undefined;
    this.profiler?.stop();
    this.profiler = undefined;
  }
}
