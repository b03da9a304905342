/** The XMPP benchmark's measures: messages by body, their send and arrival times in maps. */
import type { StageTimes } from './stage-clock.js';
import { percentile, round } from './stats.js';

export interface Latency {
  p50: number;
  p99: number;
}

export const sentAt = () => new Map<string, number>();

/** `n` message bodies `<prefix> 0` … */
export const msgs = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix} ${i}`);

/** The bodies `<prefix> from` … `<prefix> to-1`, each stamped in `sent` with the time now. */
export function stamp(sent: Map<string, number>, prefix: string, from: number, to: number) {
  const bodies: string[] = [];
  for (let n = from; n < to; n++) {
    sent.set(`${prefix} ${n}`, performance.now());
    bodies.push(`${prefix} ${n}`);
  }
  return bodies;
}

export const rateOf = (n: number, ms: number) => `${round((n * 1000) / ms)} msg/s`;

export function latency(sent: Map<string, number>, got: Map<string, number>): Latency {
  const sorted = [...sent].map(([b, at]) => got.get(b)! - at).sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

export const show = (l: Latency) => `p50 ${round(l.p50, 1)} ms, p99 ${round(l.p99, 1)} ms`;

/** performance.now() times → epoch ms, as the bridge process's stage times are. */
export const epoch = (m: Map<string, number>) =>
  new Map([...m].map(([b, at]) => [b, performance.timeOrigin + at]));

export const carolSays = (l: Latency) => `to Carol (a client in a process of her own) ${show(l)}`;

/** From the bridge's socket write to arrival, p50 / p99 / max (needs --stages). */
export function afterWrite(
  sent: Map<string, number>,
  got: Map<string, number>,
  times: StageTimes,
): string {
  const gaps = [...sent.keys()]
    .map((b) => (got.get(b) ?? NaN) - (times[b]?.written ?? NaN))
    .filter((v) => !Number.isNaN(v))
    .sort((a, b) => a - b);
  return `${round(percentile(gaps, 50), 2)} / ${round(percentile(gaps, 99), 2)} / ${round(gaps.at(-1) ?? NaN, 2)}`;
}
