import { describe, expect, it } from 'vitest';
import { BACKOFF_MAX_MS, backoffDelay } from './backoff.js';

describe('reconnect backoff', () => {
  it('doubles from about a second, with ±25 % jitter', () => {
    expect(backoffDelay(0, 0.5)).toBe(1_000);
    expect(backoffDelay(0, 0)).toBe(750);
    expect(backoffDelay(0, 0.999_999)).toBeCloseTo(1_250, 0);
    expect(backoffDelay(3, 0.5)).toBe(8_000);
  });

  it('never waits longer than the cap, whatever the attempt and the jitter', () => {
    for (const attempt of [6, 7, 10, 100, 1e9, Infinity]) {
      expect(backoffDelay(attempt, 0.999_999)).toBeLessThanOrEqual(BACKOFF_MAX_MS);
      expect(backoffDelay(attempt, 0)).toBeGreaterThanOrEqual(BACKOFF_MAX_MS * 0.75);
    }
  });

  it('still jitters at the cap, so that a netsplit does not come back at one instant', () => {
    expect(backoffDelay(20, 0)).toBeLessThan(backoffDelay(20, 0.3));
  });
});
