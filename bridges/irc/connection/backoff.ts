/**
 * Reconnect delays: exponential from 1 s, jittered by ±25 % so that connections dropped
 * together (a netsplit) do not come back together, and capped after the jitter, so no
 * connection ever waits longer than the cap.
 */

export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_MAX_MS = 60_000;

/** The delay before reconnect attempt `attempt` (0 for the first after a drop); `random` is in [0, 1). */
export function backoffDelay(attempt: number, random: number = Math.random()): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(Math.max(0, attempt), 16));
  return Math.min(BACKOFF_MAX_MS, base * (0.75 + random / 2));
}
