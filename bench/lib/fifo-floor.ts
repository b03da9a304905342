/**
 * What the peers' own bursts alone make a relay hold: the captured arrivals (t_in of every
 * relayed packet, both ways, kernel timestamps: wire-hold.ts) fed to an ideal relay that costs a
 * fixed `costUs` of one core a packet, serves them one at a time in arrival order and is never
 * idle while a packet waits (no GC, no wake-up, no scheduler). Its hold is then only the work of
 * the packets ahead: a floor under the real bridge's hold for that cost, set by how the peers
 * sent. Phones on other machines send independently (a 20 ms grid each, unrelated phases); a
 * burst of n packets from one process is held n × cost at its tail by any relay of that cost.
 */
import { percentile } from './stats.js';

export interface FifoFloor {
  costUs: number;
  /** The ideal relay's hold (ms), each way. */
  toMatrix: { p50: number; p99: number };
  toSip: { p50: number; p99: number };
}

/** `pairs`: each way's [t_in, t_out] (µs); only t_in is used. */
export function fifoFloor(
  pairs: { toMatrix: [number, number][]; toSip: [number, number][] },
  costUs: number,
): FifoFloor {
  const arrivals: [number, 0 | 1][] = [
    ...pairs.toMatrix.map(([t]) => [t, 0] as [number, 0]),
    ...pairs.toSip.map(([t]) => [t, 1] as [number, 1]),
  ];
  arrivals.sort((a, b) => a[0] - b[0]);
  const holds: [number[], number[]] = [[], []];
  let free = -Infinity;
  for (const [t, way] of arrivals) {
    free = Math.max(free, t) + costUs;
    holds[way].push((free - t) / 1000);
  }
  const two = (xs: number[]) => {
    xs.sort((a, b) => a - b);
    return { p50: percentile(xs, 50), p99: percentile(xs, 99) };
  };
  return { costUs, toMatrix: two(holds[0]), toSip: two(holds[1]) };
}

/** The floor's line: at the media threads' own cost a packet, and at half of it. */
export function describeFifoFloor(
  pairs: { toMatrix: [number, number][]; toSip: [number, number][] },
  costUs: number,
  log: (line: string) => void,
): FifoFloor[] {
  const floors = [fifoFloor(pairs, costUs), fifoFloor(pairs, costUs / 2)];
  const ms = (n: number) => n.toFixed(2);
  log(
    "  the peers' bursts alone (the same arrivals to an ideal relay: in order, never idle while a packet waits), hold p50 / p99 S→M, M→S: " +
      floors
        .map(
          (f) =>
            `at ${f.costUs.toFixed(1)} µs a packet ${ms(f.toMatrix.p50)} / ${ms(f.toMatrix.p99)}, ${ms(f.toSip.p50)} / ${ms(f.toSip.p99)} ms`,
        )
        .join('; '),
  );
  return floors;
}
