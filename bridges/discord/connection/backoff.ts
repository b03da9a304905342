/**
 * Login retries and the identify budget. A login that fails for a network reason is tried again
 * after a jittered, growing delay; every new gateway session (IDENTIFY) is counted per UTC day
 * in the bridge's store, so that restarts too stay below Discord's 1,000 a day (past which
 * Discord resets the token). Resumed sessions cost nothing.
 */
import type { KeyValueStore } from '../../../src/connector.js';

export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_MAX_MS = 5 * 60_000;

/** The delay before login attempt `attempt` + 1 (0 for the first retry); `random` in [0, 1). */
export function backoffDelay(attempt: number, random: number = Math.random()): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(Math.max(0, attempt), 16));
  return Math.min(BACKOFF_MAX_MS, base * (0.75 + random / 2));
}

const day = (now: number) => new Date(now).toISOString().slice(0, 10);
const key = (now: number) => `identifies:${day(now)}`;

/** Milliseconds until the next UTC midnight. */
export const untilNextDay = (now: number): number =>
  Date.UTC(
    new Date(now).getUTCFullYear(),
    new Date(now).getUTCMonth(),
    new Date(now).getUTCDate() + 1,
  ) - now;

export class IdentifyBudget {
  constructor(
    private readonly kv: KeyValueStore,
    readonly perDay: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Identifies made today so far. */
  async used(): Promise<number> {
    return (await this.kv.get<number>(key(this.now()))) ?? 0;
  }

  /** Whether another identify fits in today's budget. */
  async allows(): Promise<boolean> {
    return (await this.used()) < this.perDay;
  }

  /** Counts one identify (a READY); resolves with today's count. */
  async count(): Promise<number> {
    const k = key(this.now());
    const n = ((await this.kv.get<number>(k)) ?? 0) + 1;
    await this.kv.set(k, n);
    return n;
  }

  /** Milliseconds until the budget starts again. */
  waitMs(): number {
    return untilNextDay(this.now());
  }
}
