/** Helpers the fake homeserver's route handlers share: body fields, `?ts=`, txnId replay. */
import { HsError, type Reply, type RouteContext } from './types.js';

export const CS = '/_matrix/client/v3';
export const OK: Reply = { body: {} };
const MAX_EVENT_BYTES = 65_536;

export function str(ctx: RouteContext, key: string): string {
  const value = ctx.body[key];
  if (typeof value !== 'string') throw new HsError(400, 'M_BAD_JSON', `'${key}' must be a string`);
  return value;
}

export const optStr = (ctx: RouteContext, key: string): string | undefined =>
  typeof ctx.body[key] === 'string' ? (ctx.body[key] as string) : undefined;

/** `?ts=` (appservice timestamp massaging): honoured for as_token requests, which all of ours are. */
export function ts(ctx: RouteContext): number | undefined {
  const raw = ctx.query.get('ts');
  if (raw === null) return undefined;
  if (!/^\d+$/.test(raw))
    throw new HsError(400, 'M_INVALID_PARAM', 'ts must be a non-negative integer');
  return Number(raw);
}

/** Synapse refuses events over 64 KiB; the body size is a close enough measure. */
export function eventSizeCheck(ctx: RouteContext): void {
  if (ctx.raw.length > MAX_EVENT_BYTES) throw new HsError(413, 'M_TOO_LARGE', 'event too large');
}

/** Replays the first answer for a repeated send/redact txnId: keyed by path only, body not compared. */
export function deduped(ctx: RouteContext, send: () => { event_id: string }): Reply {
  const cache = ctx.state.sendCache;
  const cached = cache.get(ctx.path);
  if (cached) return { body: cached };
  const answer = send();
  cache.set(ctx.path, answer);
  if (cache.size > 100_000) cache.delete(cache.keys().next().value!); // bounded, like Synapse's 30 min expiry
  return { body: answer };
}

export function sameUser(ctx: RouteContext, target: string, what: string, status = 403): void {
  if (target !== ctx.user)
    throw new HsError(status, 'M_FORBIDDEN', `Cannot set another user's ${what}`);
}
