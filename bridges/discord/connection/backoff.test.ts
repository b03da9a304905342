import { describe, expect, it } from 'vitest';
import type { KeyValueStore } from '../../../src/connector.js';
import { backoffDelay, BACKOFF_MAX_MS, IdentifyBudget, untilNextDay } from './backoff.js';

const memoryKv = (): KeyValueStore => {
  const m = new Map<string, unknown>();
  return {
    get: async <T>(k: string) => m.get(k) as T | undefined,
    set: async (k, v) => void m.set(k, v),
    delete: async (k) => void m.delete(k),
  };
};

describe('login backoff', () => {
  it('grows, is jittered and capped', () => {
    expect(backoffDelay(0, 0)).toBe(750);
    expect(backoffDelay(0, 0.999)).toBeLessThan(1250);
    expect(backoffDelay(3, 0.5)).toBe(8000);
    expect(backoffDelay(40, 0.999)).toBe(BACKOFF_MAX_MS);
  });
});

describe('identify budget', () => {
  it('counts identifies per UTC day and refuses past the budget', async () => {
    let now = Date.UTC(2026, 0, 1, 23, 0);
    const budget = new IdentifyBudget(memoryKv(), 2, () => now);
    expect(await budget.allows()).toBe(true);
    await budget.count();
    await budget.count();
    expect(await budget.allows()).toBe(false);
    expect(budget.waitMs()).toBe(60 * 60_000);
    now += 61 * 60_000; // the next day
    expect(await budget.allows()).toBe(true);
    expect(untilNextDay(Date.UTC(2026, 0, 1))).toBe(24 * 3600_000);
  });
});
