/**
 * The SIP media benchmark's lines on the bridge over the measured window: its CPU per packet
 * relayed, its event loops, its threads (CPU, run-queue wait, times on a core per packet), and
 * inside its media threads the probe and the GC (media-window.ts).
 */
import type { FromBridge } from '../bridge-process.js';
import type { MeasuredWindow } from './media-window.js';
import { round } from './stats.js';

export type BridgeStats = Extract<FromBridge, { type: 'stats' }>;

/** Told through `log`; the bridge's CPU per packet (µs). */
export function reportBridge(
  stats: BridgeStats,
  packets: number,
  windowS: number,
  measured: MeasuredWindow,
  log: (line: string) => void,
): number {
  const cpuPerPacketUs = (stats.cpuMs * 1000) / packets;
  log(
    `  bridge CPU ${round(stats.cpuMs / 1000, 2)} s for ≈${packets} packets: ${round(cpuPerPacketUs, 1)} µs per packet ` +
      `(${round((stats.cpuMs / (windowS * 1000)) * 100)} % of a core); main event loop delay p99 ${round(stats.loopDelayMs.p99, 1)} ms, max ${round(stats.loopDelayMs.max, 1)} ms`,
  );
  log(
    `  media threads: ${stats.mediaLoopDelayMs.length || 'none (the main thread)'}` +
      stats.mediaLoopDelayMs
        .map(
          (d, i) =>
            `; thread ${i + 1} event loop delay p99 ${round(d.p99, 1)} ms, max ${round(d.max, 1)} ms`,
        )
        .join(''),
  );
  measured.describeThreads('bridge', stats.threads);
  // The same per packet relayed (both ways): how often each thread was put on a core for it.
  log(
    `  per packet relayed (${packets}): ` +
      stats.threads
        .map(
          (g) =>
            `${g.label} CPU ${round((g.cpuMs * 1000) / packets, 1)} µs, run-queue wait ${round((g.waitMs * 1000) / packets, 1)} µs, on a core ${round(g.slices / packets, 3)} times`,
        )
        .join('; '),
  );
  measured.describeProbe(stats.mediaLoopDelayMs);
  measured.describeGc(stats.mediaLoopDelayMs);
  return cpuPerPacketUs;
}

/** The bridge's figures in the JSON: each GC pause's time is in the wire figures, here the count. */
export function bridgeJson(stats: BridgeStats, cpuPerPacketUs: number) {
  return {
    bridgeCpuMs: stats.cpuMs,
    cpuPerPacketUs,
    loopDelayMs: stats.loopDelayMs,
    mediaLoopDelayMs: stats.mediaLoopDelayMs.map((d) =>
      d.gc ? { ...d, gc: { ...d.gc, pauses: d.gc.pauses.length } } : d,
    ),
    bridgeThreads: stats.threads,
    peakRssBytes: stats.peakRssBytes,
  };
}
