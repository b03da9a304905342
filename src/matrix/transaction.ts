/**
 * Reads the body of `PUT /transactions/{txnId}`. The top-level shape must be right (else the
 * homeserver is sent 400); single events that are malformed are dropped with a warning.
 */
import type { Logger } from 'pino';
import {
  checkClientEvent,
  checkEphemeralEvent,
  isObject,
  type ClientEvent,
  type EphemeralEvent,
  type Verdict,
} from './events.js';

export interface Transaction {
  events: ClientEvent[];
  ephemeral: EphemeralEvent[];
  toDevice: unknown[];
}

// Stable keys (spec v1.13) first; Synapse up to at least 1.94 sends only the MSC2409 ones.
const EPHEMERAL_KEYS = ['ephemeral', 'de.sorunome.msc2409.ephemeral'] as const;
const TO_DEVICE_KEYS = ['to_device', 'de.sorunome.msc2409.to_device'] as const;

/**
 * The first present key wins: a homeserver that sends both the stable and the unstable key sends
 * the same data twice, and reading both would handle every EDU twice.
 */
function pickList(body: Record<string, unknown>, keys: readonly string[]): Verdict<unknown[]> {
  for (const key of keys) {
    const value = body[key];
    if (value === undefined) continue;
    if (!Array.isArray(value)) return { ok: false, reason: `${key} is not an array` };
    return { ok: true, value };
  }
  return { ok: true, value: [] };
}

export function parseTransaction(body: unknown, txnId: string, log: Logger): Verdict<Transaction> {
  if (!isObject(body)) return { ok: false, reason: 'body is not an object' };
  if (!Array.isArray(body.events)) return { ok: false, reason: 'events is not an array' };
  const ephemeral = pickList(body, EPHEMERAL_KEYS);
  if (!ephemeral.ok) return ephemeral;
  const toDevice = pickList(body, TO_DEVICE_KEYS);
  if (!toDevice.ok) return toDevice;

  const events: ClientEvent[] = [];
  for (const [index, raw] of body.events.entries()) {
    const verdict = checkClientEvent(raw);
    if (verdict.ok) events.push(verdict.value);
    else
      log.warn(
        { txnId, index, reason: verdict.reason, eventId: idOf(raw) },
        'dropping malformed event',
      );
  }
  const edus: EphemeralEvent[] = [];
  for (const [index, raw] of ephemeral.value.entries()) {
    const verdict = checkEphemeralEvent(raw);
    if (verdict.ok) edus.push(verdict.value);
    else log.warn({ txnId, index, reason: verdict.reason }, 'dropping malformed ephemeral event');
  }
  const messages = toDevice.value.filter((m) => {
    if (isObject(m)) return true;
    log.warn({ txnId }, 'dropping malformed to-device message');
    return false;
  });
  return { ok: true, value: { events, ephemeral: edus, toDevice: messages } };
}

/** The event id for the log line, when there is a printable one. */
function idOf(raw: unknown): string | undefined {
  if (!isObject(raw) || typeof raw.event_id !== 'string') return undefined;
  return raw.event_id.slice(0, 255);
}
