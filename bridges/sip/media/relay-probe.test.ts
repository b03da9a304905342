import { describe, expect, it } from 'vitest';
import { RelayProbe, TransitFloor } from './relay-probe.js';

describe('TransitFloor', () => {
  it('gives each packet its transit above the stream’s smallest (RTP timestamps at 8 kHz)', () => {
    const f = new TransitFloor();
    expect(f.variation(7, 8000, 1000)).toBeUndefined(); // the first: the floor
    expect(f.variation(7, 8160, 1020)).toBe(0); // on time
    expect(f.variation(7, 8320, 1045)).toBe(5); // 5 ms late
    expect(f.variation(7, 8480, 1059)).toBe(0); // 1 ms earlier than the floor: the new floor
    expect(f.variation(7, 8640, 1081)).toBe(2);
  });

  it('starts again for a new source or a jump of the timestamps', () => {
    const f = new TransitFloor();
    f.variation(1, 0, 0);
    expect(f.variation(2, 123456, 20)).toBeUndefined();
    expect(f.variation(2, 123456 + 8 * 60_000, 40)).toBeUndefined(); // a minute ahead
    expect(f.variation(2, 123456 + 8 * 60_020, 63)).toBe(3);
  });
});

describe('RelayProbe', () => {
  it('keeps each way’s arrival variation (ms) and hold time (µs) until reset', () => {
    const p = new RelayProbe();
    for (let i = 0; i < 99; i++) p.toSip.record(0.5, 10, 10.02);
    p.toSip.record(30, 10, 10.5);
    p.toMatrix.record(undefined, 0, 0.1);
    const f = p.figures();
    expect(f.toSip.heldUs.count).toBe(100);
    expect(f.toSip.heldUs.p50).toBeCloseTo(20, 0);
    expect(f.toSip.heldUs.max).toBeCloseTo(500, -1);
    expect(f.toSip.arrivalMs.p50).toBeCloseTo(0.5, 2);
    expect(f.toSip.arrivalMs.max).toBeCloseTo(30, 1);
    expect(f.toMatrix.arrivalMs.count).toBe(0);
    expect(f.toMatrix.heldUs.count).toBe(1);
    p.reset();
    expect(p.figures().toSip.heldUs.count).toBe(0);
  });
});
