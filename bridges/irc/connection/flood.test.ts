import { describe, expect, it } from 'vitest';
import { FloodQueue, type FloodClock } from './flood.js';

/** A clock the test moves by hand: timers fire only when `advance` passes them. */
function manualClock() {
  let now = 0;
  let timers: { at: number; fn: () => void }[] = [];
  const clock: FloodClock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const t = { at: now + ms, fn };
      timers.push(t);
      return t;
    },
    clearTimeout: (h) => {
      timers = timers.filter((t) => t !== h);
    },
  };
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const due = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      timers = timers.filter((t) => t !== due);
      now = due.at;
      due.fn();
    }
    now = end;
  };
  return { clock, advance, pending: () => timers.length };
}

describe('IRC flood control', () => {
  it('writes a burst at once, then the rest at the configured rate, in order', () => {
    const { clock, advance } = manualClock();
    const written: string[] = [];
    const q = new FloodQueue((l) => written.push(l), { linesPerSecond: 2, burst: 3 }, clock);
    const lines = Array.from({ length: 7 }, (_, i) => `line ${i}`);
    for (const l of lines) void q.send(l);
    expect(written).toEqual(lines.slice(0, 3));
    expect(q.waiting).toBe(4);
    advance(499);
    expect(written).toHaveLength(3);
    advance(1);
    expect(written).toEqual(lines.slice(0, 4));
    advance(1_500);
    expect(written).toEqual(lines);
    expect(q.waiting).toBe(0);
  });

  it('refills up to the burst after a quiet time, never beyond', () => {
    const { clock, advance } = manualClock();
    const written: string[] = [];
    const q = new FloodQueue((l) => written.push(l), { linesPerSecond: 1, burst: 2 }, clock);
    void q.send('a');
    void q.send('b');
    advance(60_000);
    for (const l of ['c', 'd', 'e']) void q.send(l);
    expect(written).toEqual(['a', 'b', 'c', 'd']);
    advance(1_000);
    expect(written).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('a line sent later never overtakes one that waits', () => {
    const { clock, advance } = manualClock();
    const written: string[] = [];
    const q = new FloodQueue((l) => written.push(l), { linesPerSecond: 1, burst: 1 }, clock);
    void q.send('1');
    void q.send('2');
    advance(1_500); // one token and a half: '2' goes out, half a token left
    void q.send('3');
    void q.send('4');
    expect(written).toEqual(['1', '2']);
    advance(500);
    expect(written).toEqual(['1', '2', '3']);
    advance(1_000);
    expect(written).toEqual(['1', '2', '3', '4']);
  });

  it('resolves each line when written and rejects waiting lines on clear', async () => {
    const { clock, pending } = manualClock();
    const q = new FloodQueue(() => undefined, { linesPerSecond: 1, burst: 1 }, clock);
    await expect(q.send('now')).resolves.toBeUndefined();
    const waiting = q.send('later');
    q.clear(new Error('closed'));
    await expect(waiting).rejects.toThrow('closed');
    expect(pending()).toBe(0);
  });

  it('rejects a line whose write throws, and goes on with the next', async () => {
    const { clock } = manualClock();
    const written: string[] = [];
    const q = new FloodQueue(
      (l) => {
        if (l === 'bad') throw new Error('socket gone');
        written.push(l);
      },
      { linesPerSecond: 0, burst: 1 },
      clock,
    );
    await expect(q.send('bad')).rejects.toThrow('socket gone');
    await q.send('good');
    expect(written).toEqual(['good']);
  });

  it('lines_per_second 0 turns it off: everything is written at once', () => {
    const { clock, pending } = manualClock();
    const written: string[] = [];
    const q = new FloodQueue((l) => written.push(l), { linesPerSecond: 0, burst: 1 }, clock);
    for (let i = 0; i < 100; i++) void q.send(`${i}`);
    expect(written).toHaveLength(100);
    expect(pending()).toBe(0);
  });
});
