import { describe, expect, it } from 'vitest';
import { busyCosts, fifoFloor, shareUnder } from './fifo-floor.js';

describe('the hold the arrivals alone make', () => {
  it('holds paced packets one cost each, and the tail of a burst the burst’s work', () => {
    // Paced: one packet each way every 10 ms, each 100 µs of work: nothing waits.
    const paced = { toMatrix: [] as [number, number][], toSip: [] as [number, number][] };
    for (let i = 0; i < 100; i++) {
      paced.toMatrix.push([i * 10_000, 0]);
      paced.toSip.push([i * 10_000 + 5000, 0]);
    }
    const f = fifoFloor(paced, [100, 100]);
    expect(f.toMatrix).toEqual({ p50: 0.1, p99: 0.1 });
    expect(f.toSip).toEqual({ p50: 0.1, p99: 0.1 });
    // One burst: 50 toward Matrix then 50 toward SIP at the same moment, served in that order.
    const burst = {
      toMatrix: Array.from({ length: 50 }, (): [number, number] => [1000, 0]),
      toSip: Array.from({ length: 50 }, (): [number, number] => [1000, 0]),
    };
    const b = fifoFloor(burst, [100, 100]);
    expect(b.toMatrix.p99).toBeCloseTo(5.0); // the 50th toward Matrix: 50 × 0.1 ms
    expect(b.toSip.p99).toBeCloseTo(10.0); // behind all 100
  });
});

describe('the same arrivals served alternately between the ways', () => {
  it('shares a burst’s tail between the ways instead of leaving it to the one sent last', () => {
    const burst = {
      toMatrix: Array.from({ length: 50 }, (): [number, number] => [1000, 0]),
      toSip: Array.from({ length: 50 }, (): [number, number] => [1000, 0]),
    };
    const b = fifoFloor(burst, [100, 100], 'alternate');
    expect(b.toMatrix.p99).toBeCloseTo(9.9); // every other of the 100
    expect(b.toSip.p99).toBeCloseTo(10.0);
    expect(b.toMatrix.p50).toBeCloseTo(4.9);
    // Apart in time, alternating changes nothing.
    const apart = {
      toMatrix: [[0, 0]] as [number, number][],
      toSip: [[5000, 0]] as [number, number][],
    };
    expect(fifoFloor(apart, [100, 100], 'alternate').toSip.p99).toBeCloseTo(0.1);
  });
});

describe("the bridge's cost a packet while busy, from the wire", () => {
  it('takes the gaps between departures when the next packet was already in, by its way', () => {
    // A burst at 0: two toward Matrix then one toward SIP, out at 30, 60, 140 µs; then one
    // toward Matrix alone at 1000 (out at 1030: the bridge was idle before it, not counted).
    const b = busyCosts({
      toMatrix: [
        [0, 30],
        [0, 60],
        [1000, 1030],
      ],
      toSip: [[0, 140]],
    });
    expect(b.gaps).toEqual([1, 1]);
    expect(b.costUs).toEqual([30, 80]);
  });
});

describe('the share of the cost under a bound', () => {
  it('finds the cost at which a burst’s tail is held under the bound', () => {
    // 100 packets at once at 100 µs: the last held 10 ms; under 5 ms takes under half the cost.
    const burst = {
      toMatrix: Array.from({ length: 50 }, (): [number, number] => [1000, 0]),
      toSip: Array.from({ length: 50 }, (): [number, number] => [1000, 0]),
    };
    const f = shareUnder(burst, [100, 100], 5)!;
    expect(f).toBeGreaterThan(0.47);
    expect(f).toBeLessThan(0.5);
  });
});
