import { describe, expect, it } from 'vitest';
import { StreamQuality } from './rtp-quality.js';

/** Packets every 20 ms (160 samples), `skip` left out, `late` arriving `ms` later than due. */
function stream(
  q: StreamQuality,
  opts: {
    from?: number;
    count: number;
    ssrc?: number;
    skip?: number[];
    late?: number[];
    ms?: number;
  },
) {
  const from = opts.from ?? 0;
  for (let i = 0; i < opts.count; i++) {
    if (opts.skip?.includes(i)) continue;
    const seq = (from + i) & 0xffff;
    const delay = opts.late?.includes(i) ? (opts.ms ?? 0) : 0;
    q.add(opts.ssrc ?? 1, seq, i * 160, 1_000 + i * 20 + delay);
  }
}

describe('RTP stream quality', () => {
  it('a clean stream: nothing lost, no jitter', () => {
    const q = new StreamQuality();
    stream(q, { count: 500 });
    expect(q.figures).toEqual({ received: 500, expected: 500, lost: 0, lossRatio: 0, jitterMs: 0 });
  });

  it('counts the packets that never came, across a sequence number wrap', () => {
    const q = new StreamQuality();
    stream(q, { from: 65_500, count: 100, skip: [10, 50, 51] });
    expect(q.figures).toMatchObject({ received: 97, expected: 100, lost: 3 });
    expect(q.figures.lossRatio).toBeCloseTo(0.03);
  });

  it('a new source (SSRC) starts its own count; the earlier counts are kept', () => {
    const q = new StreamQuality();
    stream(q, { count: 10, skip: [5] });
    stream(q, { from: 40_000, count: 10, ssrc: 2 });
    expect(q.figures).toMatchObject({ received: 19, expected: 20, lost: 1 });
  });

  it('measures interarrival jitter in milliseconds', () => {
    const q = new StreamQuality();
    // every other packet 10 ms late: |D| is 10 ms each time, J converges toward it
    stream(q, { count: 400, late: Array.from({ length: 200 }, (_, i) => i * 2 + 1), ms: 10 });
    expect(q.figures.jitterMs).toBeGreaterThan(9);
    expect(q.figures.jitterMs).toBeLessThanOrEqual(10);
  });
});
