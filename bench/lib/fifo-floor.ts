/**
 * What the peers' own bursts make a relay hold: the captured arrivals (t_in of every relayed
 * packet, both ways, kernel timestamps: wire-hold.ts) fed to an ideal relay that costs a fixed
 * `costUs` of one core a packet and is never idle while a packet waits (no GC, no wake-up, no
 * scheduler). Its hold is only the work of the packets served before: about what any relay of
 * that mean cost holds these arrivals (not a strict floor: in a burst a real relay's packets
 * cost less than its mean, which counts its wake-ups and timers too). Phones on other machines
 * send independently (a 20 ms grid each, unrelated phases); a burst of n packets from one
 * process is held about n × cost at its tail by any relay.
 *
 * Served in arrival order, or alternately between the two ways (the head of the other way's
 * queue next whenever it has arrived): the same work, shared out without regard to which way
 * the peers happened to send first within a burst.
 */
import { percentile } from './stats.js';

export type Order = 'arrival' | 'alternate';

export interface FifoFloor {
  costUs: number;
  order: Order;
  /** The ideal relay's hold (ms), each way. */
  toMatrix: { p50: number; p99: number };
  toSip: { p50: number; p99: number };
}

/** `pairs`: each way's [t_in, t_out] (µs); only t_in is used. */
export function fifoFloor(
  pairs: { toMatrix: [number, number][]; toSip: [number, number][] },
  costUs: number,
  order: Order = 'arrival',
): FifoFloor {
  const ways = [pairs.toMatrix, pairs.toSip].map((p) => p.map(([t]) => t).sort((a, b) => a - b));
  const holds: [number[], number[]] = [[], []];
  const next = [0, 0];
  let free = -Infinity;
  let last = 1;
  for (;;) {
    const heads = [ways[0]![next[0]!], ways[1]![next[1]!]];
    if (heads[0] === undefined && heads[1] === undefined) break;
    // The earliest head; alternately, the other way's head when it has arrived by then.
    let way = heads[1] === undefined || (heads[0] !== undefined && heads[0] <= heads[1]) ? 0 : 1;
    const other = 1 - way;
    const start = Math.max(free, heads[way]!);
    if (
      order === 'alternate' &&
      way === last &&
      heads[other] !== undefined &&
      heads[other] <= start
    )
      way = other;
    const t = heads[way]!;
    free = Math.max(free, t) + costUs;
    holds[way]!.push((free - t) / 1000);
    next[way]!++;
    last = way;
  }
  const two = (xs: number[]) => {
    xs.sort((a, b) => a - b);
    return { p50: percentile(xs, 50), p99: percentile(xs, 99) };
  };
  return { costUs, order, toMatrix: two(holds[0]), toSip: two(holds[1]) };
}

/** The floor's line: at the media threads' own cost a packet, at half of it, and alternately. */
export function describeFifoFloor(
  pairs: { toMatrix: [number, number][]; toSip: [number, number][] },
  costUs: number,
  log: (line: string) => void,
): FifoFloor[] {
  const floors = [
    fifoFloor(pairs, costUs),
    fifoFloor(pairs, costUs / 2),
    fifoFloor(pairs, costUs, 'alternate'),
  ];
  const ms = (n: number) => n.toFixed(2);
  log(
    "  the peers' bursts alone (the same arrivals to an ideal relay never idle while a packet waits), hold p50 / p99 S→M, M→S: " +
      floors
        .map(
          (f) =>
            `${f.order === 'arrival' ? 'in order' : 'alternating the ways'} at ${f.costUs.toFixed(1)} µs a packet ${ms(f.toMatrix.p50)} / ${ms(f.toMatrix.p99)}, ${ms(f.toSip.p50)} / ${ms(f.toSip.p99)} ms`,
        )
        .join('; '),
  );
  return floors;
}
