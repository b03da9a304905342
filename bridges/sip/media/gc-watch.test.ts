import { describe, expect, it } from 'vitest';
import { GcWatch } from './gc-watch.js';

describe("a thread's GC watch", () => {
  it('is off until started, then tells the pauses (on the epoch clock) and the bytes allocated', async () => {
    const watch = new GcWatch();
    expect(watch.figures(false)).toBeUndefined();
    const before = Date.now() * 1000;
    watch.start();
    // About 64 MB of short-lived garbage: several scavenges.
    let keep = 0;
    for (let i = 0; i < 200_000; i++) keep += new Array(40).fill(i).length;
    await new Promise((r) => setTimeout(r, 50)); // the observer's entries come in a task
    const g = watch.figures(false)!;
    const after = Date.now() * 1000;
    expect(keep).toBe(8_000_000);
    expect(g.counts.minor).toBeGreaterThan(0);
    expect(g.pauses.length).toBeGreaterThanOrEqual(g.counts.minor);
    for (const [start, us] of g.pauses) {
      expect(start).toBeGreaterThanOrEqual(before - 5000);
      expect(start + us).toBeLessThanOrEqual(after + 5000);
    }
    expect(g.pauseMs.max).toBeGreaterThan(0);
    expect(g.allocatedBytes).toBeGreaterThan(40 * 1024 * 1024);
    expect(g.youngBytes).toBeGreaterThan(0);
    expect(watch.running).toBe(false);
  });
});
