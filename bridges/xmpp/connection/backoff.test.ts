import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('component reconnect backoff', () => {
  it('doubles from the minimum, jittered ±25 %, capped', () => {
    expect(backoffDelay(0, 1000, 60000, 0)).toBe(750);
    expect(backoffDelay(0, 1000, 60000, 0.999)).toBe(1250);
    expect(backoffDelay(3, 1000, 60000, 0.5)).toBe(8000);
    expect(backoffDelay(30, 1000, 60000, 0.999)).toBe(60000);
  });
});
