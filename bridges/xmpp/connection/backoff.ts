/**
 * Reconnect delays of the component connection: exponential from `min_ms`, jittered by ±25 %
 * (so bridges dropped together by a server restart do not come back together), capped after
 * the jitter.
 */
export function backoffDelay(
  attempt: number,
  minMs: number,
  maxMs: number,
  random: number = Math.random(),
): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(Math.max(0, attempt), 20));
  return Math.min(maxMs, Math.round(base * (0.75 + random / 2)));
}
