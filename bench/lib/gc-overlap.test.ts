import { describe, expect, it } from 'vitest';
import { gcOverlap } from './gc-overlap.js';

describe('packets held in GC pauses', () => {
  it('counts a packet whose time in the bridge meets a pause, and the slowest apart', () => {
    // 100 packets of 100 µs each, 1 ms apart; two of them (10 and 50) held 5 ms, across pauses.
    const pairs: [number, number][] = [];
    for (let i = 0; i < 100; i++) {
      const t = 1_000_000 + i * 1000;
      pairs.push([t, t + (i === 10 || i === 50 ? 5000 : 100)]);
    }
    const pauses: [number, number][] = [
      [1_050_000 + 2000, 2500], // inside packet 50's hold (which starts before it)
      [1_010_000 - 300, 400], // starts before packet 10 arrives, ends after: meets it
      [1_080_000 + 200, 100], // between packet 80's departure and packet 81: meets none
      [5_000_000, 100], // outside the packets' span
    ];
    const g = gcOverlap(pairs, pauses);
    expect(g.packets).toBe(100);
    expect(g.pauses).toBe(3);
    // Packets 10 and 50, and 52, 53 and 54 (held while the pause from 1.052 s to 1.0545 s ran).
    expect(g.allInPausePercent).toBe(5);
    expect(g.p99HoldMs).toBe(5);
    expect(g.slowest).toBe(2);
    expect(g.slowestInPausePercent).toBe(100);
    expect(g.inPauseHoldP50Ms).toBe(0.1);
    expect(g.outsideHoldP50Ms).toBe(0.1);
    expect(g.outsideHoldP99Ms).toBe(0.1);
  });

  it('finds a long pause that started well before a packet (the search looks back far enough)', () => {
    const pairs: [number, number][] = [[10_000, 10_100]];
    const pauses: [number, number][] = [
      [1_000, 20_000],
      [9_000, 10],
      [9_500, 10],
    ];
    expect(gcOverlap(pairs, pauses).allInPausePercent).toBe(100);
    expect(gcOverlap(pairs, pauses.slice(1)).allInPausePercent).toBe(0);
  });
});
