import { describe, expect, it } from 'vitest';
import { serialLine, serialSends } from './serial-sends.js';

describe("one room's PUTs one at a time", () => {
  it('splits the cycles of messages queued behind the one before, and leaves the others out', () => {
    const times = {
      a: { scheduled: 0, http: 1, answered: 1.6 },
      b: { scheduled: 0.5, http: 1.8, answered: 2.4 }, // queued while a was in flight
      c: { scheduled: 2.6, http: 2.7, answered: 3.3 }, // queued after b's answer: not a pair
    };
    const arrived = new Map([
      ['a', 1.3],
      ['b', 2.1],
      ['c', 3],
    ]);
    const s = serialSends(['a', 'b', 'c'], times, arrived)!;
    expect(s.pairs).toBe(1);
    expect(s.toHomeserver).toBeCloseTo(0.3);
    expect(s.back).toBeCloseTo(0.3);
    expect(s.turn).toBeCloseTo(0.2);
    expect(s.cycle).toBeCloseTo(0.8);
    expect(serialLine(s)).toContain('ceiling ≈ 1250 msg/s');
  });

  it('says so when no message waited', () => {
    expect(serialSends(['a'], { a: { http: 1, answered: 2 } }, new Map([['a', 1.5]]))).toBe(
      undefined,
    );
    expect(serialLine(undefined)).toContain('no message waited');
  });
});
