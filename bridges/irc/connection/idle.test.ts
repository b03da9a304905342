import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdleSweeper, idlest, sweepInterval, type IdleCandidate } from './idle.js';

const HOUR = 3_600_000;

describe('IdleSweeper', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Puppets as the network holds them; a quit one is removed, as IrcNetwork.removePuppet does. */
  function network(idleMs: number) {
    const puppets = new Map<string, { lastActive: number; busy: boolean }>();
    const quit: string[] = [];
    const sweeper = new IdleSweeper({
      idleMs,
      candidates: () => puppets.entries() as Iterable<[string, IdleCandidate]>,
      onIdle: (id) => {
        quit.push(id);
        puppets.delete(id);
      },
    });
    return { puppets, quit, sweeper };
  }

  it('quits a puppet that sent nothing for the timeout, within a tenth of it, and keeps the active ones', () => {
    const { puppets, quit, sweeper } = network(24 * HOUR);
    puppets.set('@quiet:hs', { lastActive: Date.now(), busy: false });
    puppets.set('@chatty:hs', { lastActive: Date.now(), busy: false });
    sweeper.start();
    vi.advanceTimersByTime(20 * HOUR);
    puppets.get('@chatty:hs')!.lastActive = Date.now();
    vi.advanceTimersByTime(4 * HOUR - 1);
    expect(quit).toEqual([]);
    vi.advanceTimersByTime(sweepInterval(24 * HOUR) + 1);
    expect(quit).toEqual(['@quiet:hs']);
    vi.advanceTimersByTime(20 * HOUR + sweepInterval(24 * HOUR));
    expect(quit).toEqual(['@quiet:hs', '@chatty:hs']);
    sweeper.stop();
  });

  it('never quits a puppet that messages are waiting for', () => {
    const { puppets, quit, sweeper } = network(HOUR);
    puppets.set('@busy:hs', { lastActive: 0, busy: true });
    sweeper.start();
    vi.advanceTimersByTime(10 * HOUR);
    expect(quit).toEqual([]);
    puppets.get('@busy:hs')!.busy = false;
    vi.advanceTimersByTime(sweepInterval(HOUR));
    expect(quit).toEqual(['@busy:hs']);
    sweeper.stop();
  });

  it('runs one timer per network whatever the number of puppets, and none when the timeout is 0', () => {
    const { puppets, sweeper } = network(HOUR);
    for (let i = 0; i < 1_000; i++) puppets.set(`@u${i}:hs`, { lastActive: 0, busy: false });
    expect(vi.getTimerCount()).toBe(0);
    sweeper.start();
    sweeper.start();
    expect(vi.getTimerCount()).toBe(1);
    sweeper.stop();
    expect(vi.getTimerCount()).toBe(0);
    const never = network(0);
    never.puppets.set('@a:hs', { lastActive: -1e12, busy: false });
    never.sweeper.start();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('idlest', () => {
  it('picks the puppet idle the longest that is not busy', () => {
    const c = (lastActive: number, busy = false): IdleCandidate => ({ lastActive, busy });
    expect(
      idlest([
        ['@a', c(30)],
        ['@b', c(10, true)],
        ['@c', c(20)],
      ]),
    ).toBe('@c');
    expect(idlest([['@b', c(10, true)]])).toBeUndefined();
    expect(idlest([])).toBeUndefined();
  });
});
