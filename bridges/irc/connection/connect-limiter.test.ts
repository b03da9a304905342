import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectLimiter, type ConnectTurn } from './connect-limiter.js';

describe('ConnectLimiter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Asks for `n` turns named `${prefix}${i}`; returns the turns and the order they started in. */
  const ask = (limiter: ConnectLimiter, names: string[], started: string[], first = false) =>
    new Map<string, ConnectTurn>(
      names.map((name) => [name, limiter.acquire(() => started.push(name), { first })]),
    );

  it('lets at most `max` connect at once; the others start in order as slots free', () => {
    const limiter = new ConnectLimiter(2);
    const started: string[] = [];
    const turns = ask(limiter, ['a', 'b', 'c', 'd', 'e'], started);
    expect(started).toEqual(['a', 'b']);
    expect([limiter.active, limiter.waiting]).toEqual([2, 3]);
    turns.get('b')!.release();
    expect(started).toEqual(['a', 'b', 'c']);
    turns.get('a')!.release();
    turns.get('c')!.release();
    expect(started).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect([limiter.active, limiter.waiting]).toEqual([2, 0]);
  });

  it('puts the bot (first) ahead of every waiting puppet', () => {
    const limiter = new ConnectLimiter(1);
    const started: string[] = [];
    const turns = ask(limiter, ['p1', 'p2', 'p3'], started);
    ask(limiter, ['bot'], started, true);
    turns.get('p1')!.release();
    expect(started).toEqual(['p1', 'bot']);
  });

  it('a release is counted once, and a turn released while waiting never starts', () => {
    const limiter = new ConnectLimiter(1);
    const started: string[] = [];
    const turns = ask(limiter, ['a', 'b', 'c'], started);
    turns.get('b')!.release(); // gave up (the connection was stopped) before its turn
    turns.get('a')!.release();
    turns.get('a')!.release();
    expect(started).toEqual(['a', 'c']);
    expect([limiter.active, limiter.waiting]).toEqual([1, 0]);
  });

  it('takes the slot back from a connect that neither registers nor closes in time', () => {
    const limiter = new ConnectLimiter(1, 30_000);
    const started: string[] = [];
    ask(limiter, ['stuck', 'next'], started);
    vi.advanceTimersByTime(29_999);
    expect(started).toEqual(['stuck']);
    vi.advanceTimersByTime(1);
    expect(started).toEqual(['stuck', 'next']);
  });

  it('with max 0 starts every connect at once', () => {
    const limiter = new ConnectLimiter(0);
    const started: string[] = [];
    ask(limiter, ['a', 'b', 'c', 'd', 'e', 'f', 'g'], started);
    expect(started).toHaveLength(7);
  });

  it('a connect that throws gives its slot back', () => {
    const limiter = new ConnectLimiter(1);
    const started: string[] = [];
    limiter.acquire(() => {
      throw new Error('bad');
    });
    ask(limiter, ['b'], started);
    expect(started).toEqual(['b']);
  });
});
