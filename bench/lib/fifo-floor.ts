/**
 * What the peers' own bursts make a relay hold. The bridge's cost a packet while busy is read
 * off the wire (`busyCosts`), each way; the run's captured arrivals (t_in of every relayed
 * packet, both ways, kernel timestamps: wire-hold.ts) are then fed to an ideal relay of those
 * costs that is never idle while a packet waits (no scheduler, no wake-up). Its hold is only the
 * work of the packets served before: what any relay of that cost holds these arrivals. Phones on
 * other machines send independently (a 20 ms grid each, unrelated phases); a burst of n packets
 * from one process is held about n × cost at its tail by any relay.
 *
 * Served in arrival order, or alternately between the two ways (the head of the other way's
 * queue next whenever it has arrived): the same work, shared out without regard to which way
 * the peers happened to send first within a burst.
 */
import { percentile } from './stats.js';

export type Order = 'arrival' | 'alternate';

export interface FifoFloor {
  /** The ideal relay's cost a packet (µs): toward Matrix, toward SIP. */
  costUs: [number, number];
  order: Order;
  /** The ideal relay's hold (ms), each way. */
  toMatrix: { p50: number; p99: number };
  toSip: { p50: number; p99: number };
}

type Pairs = { toMatrix: [number, number][]; toSip: [number, number][] };

/**
 * The bridge's own cost a packet while busy, each way, from the wire: when a packet had arrived
 * before the packet out ahead of it left, the bridge was not idle between the two departures, so
 * that gap is the packet's time in the relay (with whatever GC pause or timer fell in it).
 * The mean of those gaps by the way of the packet that left (µs), and how many there were.
 */
export function busyCosts(pairs: Pairs): { costUs: [number, number]; gaps: [number, number] } {
  const all: [number, number, 0 | 1][] = [
    ...pairs.toMatrix.map(([a, b]) => [a, b, 0] as [number, number, 0]),
    ...pairs.toSip.map(([a, b]) => [a, b, 1] as [number, number, 1]),
  ];
  all.sort((x, y) => x[1] - y[1]);
  const sum = [0, 0];
  const gaps: [number, number] = [0, 0];
  for (let k = 1; k < all.length; k++) {
    const [tIn, tOut, way] = all[k]!;
    const before = all[k - 1]![1];
    if (tIn > before) continue; // it came after the one before left: the bridge may have idled
    sum[way]! += tOut - before;
    gaps[way]++;
  }
  return { costUs: [sum[0]! / gaps[0], sum[1]! / gaps[1]], gaps };
}

/** `pairs`: each way's [t_in, t_out] (µs); only t_in is used. `cost`: µs a packet, each way. */
export function fifoFloor(
  pairs: Pairs,
  cost: [number, number],
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
    free = Math.max(free, t) + cost[way]!;
    holds[way]!.push((free - t) / 1000);
    next[way]!++;
    last = way;
  }
  const two = (xs: number[]) => {
    xs.sort((a, b) => a - b);
    return { p50: percentile(xs, 50), p99: percentile(xs, 99) };
  };
  return { costUs: cost, order, toMatrix: two(holds[0]), toSip: two(holds[1]) };
}

/**
 * The largest share of `costUs` (to 1 %) at which the ideal relay holds both ways' p99 under
 * `ms` in arrival order: what a cheaper relay would need against the same bursts.
 */
export function shareUnder(pairs: Pairs, costUs: [number, number], ms: number): number | undefined {
  const under = (f: number) => {
    const r = fifoFloor(pairs, [costUs[0] * f, costUs[1] * f]);
    return r.toMatrix.p99 < ms && r.toSip.p99 < ms;
  };
  if (!under(0.01)) return undefined;
  let lo = 0.01;
  let hi = 1;
  if (under(hi)) return 1;
  while (hi - lo > 0.01) {
    const mid = (lo + hi) / 2;
    if (under(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * The lines: the bridge's cost a packet while busy each way (from the wire), and what an ideal
 * relay of that cost makes of the same arrivals: in order, at half the cost, and alternately.
 */
export function describeFifoFloor(
  pairs: Pairs,
  log: (line: string) => void,
): { busyCostUs: [number, number]; floors: FifoFloor[]; shareUnder5ms?: number } {
  const busy = busyCosts(pairs);
  const [m, s] = busy.costUs;
  const floors = [
    fifoFloor(pairs, busy.costUs),
    fifoFloor(pairs, [m / 2, s / 2]),
    fifoFloor(pairs, busy.costUs, 'alternate'),
  ];
  const ms = (n: number) => n.toFixed(2);
  const share = shareUnder(pairs, busy.costUs, 5);
  log(
    `  the bridge's time a packet while busy (between two departures, the second packet already in), on the wire:` +
      ` S→M ${m.toFixed(1)} µs (${busy.gaps[0]} gaps), M→S ${s.toFixed(1)} µs (${busy.gaps[1]})`,
  );
  log(
    "  the peers' bursts alone (the same arrivals to an ideal relay of that cost, never idle while a packet waits), hold p50 / p99 S→M, M→S: " +
      floors
        .map(
          (f) =>
            `${f.order === 'arrival' ? 'in order' : 'alternating the ways'} at ${f.costUs.map((c) => c.toFixed(1)).join(' / ')} µs ${ms(f.toMatrix.p50)} / ${ms(f.toMatrix.p99)}, ${ms(f.toSip.p50)} / ${ms(f.toSip.p99)} ms`,
        )
        .join('; ') +
      `; both ways' p99 under 5 ms at ${share === undefined ? 'no share found' : `${Math.round(share * 100)} % of that cost (${(m * share).toFixed(1)} / ${(s * share).toFixed(1)} µs)`}`,
  );
  return {
    busyCostUs: busy.costUs,
    floors,
    ...(share !== undefined ? { shareUnder5ms: share } : {}),
  };
}
