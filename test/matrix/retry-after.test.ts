import { describe, expect, it } from 'vitest';
import { parseRetryAfterHeader, retryAfterMs } from '../../src/matrix/retry-after.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');

describe('retryAfterMs', () => {
  it('reads retry_after_ms from the body (Synapse)', () => {
    expect(retryAfterMs(1560, null, NOW)).toBe(1560);
  });

  it('reads Retry-After in seconds or as an HTTP date', () => {
    expect(retryAfterMs(undefined, '3', NOW)).toBe(3000);
    expect(retryAfterMs(undefined, 'Wed, 25 Nov 2026 12:00:10 GMT', NOW)).toBe(10_000);
    expect(parseRetryAfterHeader('Wed, 25 Nov 2026 11:00:00 GMT', NOW)).toBe(0); // in the past
  });

  it('takes the longer wait when both are given', () => {
    expect(retryAfterMs(500, '2', NOW)).toBe(2000);
    expect(retryAfterMs(5000, '2', NOW)).toBe(5000);
  });

  it('ignores garbage', () => {
    expect(retryAfterMs('soon', 'whenever', NOW)).toBeUndefined();
    expect(retryAfterMs(-1, null, NOW)).toBeUndefined();
    expect(retryAfterMs(Number.NaN, '-5', NOW)).toBeUndefined();
  });
});
