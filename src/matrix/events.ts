/**
 * The event shapes the homeserver pushes to an appservice, and the per-event checks that decide
 * whether one is usable. A malformed event is dropped on its own: rejecting the whole transaction
 * would make Synapse retry it forever and stall every transaction behind it.
 */

/** A room event in the client format (spec: ClientEvent), as it arrives in `events`. */
export interface ClientEvent {
  event_id: string;
  room_id: string;
  sender: string;
  type: string;
  origin_server_ts: number;
  content: Record<string, unknown>;
  /** Present (possibly `""`) exactly when this is a state event. */
  state_key?: string;
  unsigned?: Record<string, unknown>;
  redacts?: string;
}

/** An EDU from `ephemeral`: `m.typing` and `m.receipt` carry `room_id`, `m.presence` carries `sender`. */
export interface EphemeralEvent {
  type: string;
  content: Record<string, unknown>;
  room_id?: string;
  sender?: string;
}

export type Verdict<T> = { ok: true; value: T } | { ok: false; reason: string };

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Checks the fields the spec marks required for a ClientEvent, and the id sigils. */
export function checkClientEvent(raw: unknown): Verdict<ClientEvent> {
  if (!isObject(raw)) return { ok: false, reason: 'event is not an object' };
  const { event_id, room_id, sender, type, origin_server_ts, content, state_key, unsigned } = raw;
  if (!isNonEmptyString(event_id) || !event_id.startsWith('$'))
    return { ok: false, reason: 'bad event_id' };
  if (!isNonEmptyString(room_id) || !room_id.startsWith('!'))
    return { ok: false, reason: 'bad room_id' };
  if (!isNonEmptyString(sender) || !sender.startsWith('@') || !sender.includes(':')) {
    return { ok: false, reason: 'bad sender' };
  }
  if (!isNonEmptyString(type)) return { ok: false, reason: 'bad type' };
  if (typeof origin_server_ts !== 'number' || !Number.isFinite(origin_server_ts)) {
    return { ok: false, reason: 'bad origin_server_ts' };
  }
  if (!isObject(content)) return { ok: false, reason: 'content is not an object' };
  if (state_key !== undefined && typeof state_key !== 'string')
    return { ok: false, reason: 'bad state_key' };
  if (unsigned !== undefined && !isObject(unsigned)) return { ok: false, reason: 'bad unsigned' };
  return { ok: true, value: raw as unknown as ClientEvent };
}

const ROOM_SCOPED_EDUS = new Set(['m.typing', 'm.receipt']);

export function checkEphemeralEvent(raw: unknown): Verdict<EphemeralEvent> {
  if (!isObject(raw)) return { ok: false, reason: 'ephemeral event is not an object' };
  if (!isNonEmptyString(raw.type)) return { ok: false, reason: 'bad type' };
  if (!isObject(raw.content)) return { ok: false, reason: 'content is not an object' };
  if (raw.room_id !== undefined && !isNonEmptyString(raw.room_id))
    return { ok: false, reason: 'bad room_id' };
  if (ROOM_SCOPED_EDUS.has(raw.type) && raw.room_id === undefined) {
    return { ok: false, reason: `${raw.type} without room_id` };
  }
  if (raw.sender !== undefined && !isNonEmptyString(raw.sender))
    return { ok: false, reason: 'bad sender' };
  if (raw.type === 'm.presence' && raw.sender === undefined)
    return { ok: false, reason: 'm.presence without sender' };
  return { ok: true, value: raw as unknown as EphemeralEvent };
}

/** A state event is recognised by the presence of `state_key`, never by its type (spec). */
export const isStateEvent = (e: ClientEvent): e is ClientEvent & { state_key: string } =>
  typeof e.state_key === 'string';
