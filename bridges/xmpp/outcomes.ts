/**
 * What became of the events the XMPP bridge names (core's `emitSettled`). An XMPP user's message
 * Matrix gave up on bounces back to them as a `<message type="error">` with the original's id
 * (RFC 6120 §8.3); a gateway room reflects an XMPP user's message to its occupants only once
 * Matrix took it (gateway/reflections.ts); a gateway moderation is answered (and announced) only
 * once Matrix took its redaction (gateway/gateway-moderation.ts). A ref carries all it needs:
 * after a restart the bridge remembers nothing else.
 */
import { xml, type Element } from '@xmpp/xml';
import type { EmitOutcome, RemoteEvent } from '../../src/connector.js';
import { NS, type ParsedMessage } from './connection/stanzas.js';
import { xmlText } from './connection/xml-text.js';
import type { StanzaTree } from './connection/stanza-tree.js';

/** An XMPP user's message: bounced from `from` (where they sent it) to `to` (them) if refused. */
export interface BounceRef {
  t: 'bounce';
  from: string;
  to: string;
  id?: string;
}

/** A gateway moderation: the iq to answer, and what to announce in the room once it is done. */
export interface ModerationRef {
  t: 'moderation';
  /** The room's first address, an alias or a room id (`GwRoom.target`; the name refs keep). */
  alias: string;
  iq: { id?: string; from: string; to: string };
  nick: string;
  stanzaId: string;
  reason?: string;
}

/**
 * An XMPP user's message to a gateway room: reflected to the room's sessions once Matrix took it,
 * bounced (as a BounceRef) if it refused.
 */
export interface ReflectRef extends Omit<BounceRef, 't'> {
  t: 'reflect';
  /** The room's first address (`GwRoom.target`). */
  room: string;
  /** The sender's nick when they sent it (their occupant's now, if they renamed since). */
  nick: string;
  /** The XEP-0359 stanza-id the room gave it: its remote id in core. */
  stanzaId: string;
  /** The message as the sender sent it. */
  stanza: StanzaTree;
}

export type XmppRef = BounceRef | ModerationRef | ReflectRef;

/** The ref of an XMPP user's message, to bounce it to them if Matrix refuses it. */
export const bounceRef = (m: Pick<ParsedMessage, 'from' | 'to' | 'id'>): string =>
  JSON.stringify({
    t: 'bounce',
    from: m.to,
    to: m.from,
    ...(m.id !== undefined ? { id: m.id } : {}),
  } satisfies BounceRef);

/** What an XMPP user said (a message, a correction), as opposed to what follows from it. */
export const bounceable = (e: RemoteEvent): boolean => e.kind === 'message' || e.kind === 'edit';

/** Whether `ref` is a bounceRef, without parsing it (JSON.stringify keeps `t` first). */
export const isBounceRef = (ref: string): boolean => ref.startsWith('{"t":"bounce"');

/** The stanza error (type and defined condition) that says why Matrix refused. */
export function refusalCondition(errcode: string): { type: string; condition: string } {
  if (errcode === 'M_FORBIDDEN') return { type: 'auth', condition: 'forbidden' };
  if (errcode === 'M_TOO_LARGE') return { type: 'modify', condition: 'policy-violation' };
  return { type: 'cancel', condition: 'not-acceptable' };
}

/** An `<error/>` telling an XMPP user what Matrix refused, and why. */
export function refusalError(outcome: Extract<EmitOutcome, { delivered: false }>): Element {
  const { type, condition } = refusalCondition(outcome.errcode);
  return xml(
    'error',
    { type },
    xml(condition, { xmlns: NS.stanzas }),
    xml('text', { xmlns: NS.stanzas }, xmlText(`Not delivered to Matrix: ${outcome.reason}`)),
  );
}

/** The bounce of a message Matrix gave up on: an error message with the original's id. */
export function bounce(
  ref: Omit<BounceRef, 't'>,
  outcome: Extract<EmitOutcome, { delivered: false }>,
): Element {
  return xml(
    'message',
    { type: 'error', from: ref.from, to: ref.to, ...(ref.id !== undefined ? { id: ref.id } : {}) },
    refusalError(outcome),
  );
}

/** A ref this bridge wrote, or undefined (an older or foreign form: nothing to do). */
export function parseRef(ref: string): XmppRef | undefined {
  try {
    const parsed = JSON.parse(ref) as Partial<XmppRef>;
    const ours = parsed.t === 'bounce' || parsed.t === 'moderation' || parsed.t === 'reflect';
    return ours ? (parsed as XmppRef) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Waits for outcomes in memory (a moderation iq answered when its redaction settles); `settle`
 * says false when nobody waited (after a restart), and the caller answers on its own then.
 */
export class OutcomeWaits {
  private readonly waiting = new Map<string, (outcome: EmitOutcome) => void>();

  wait(ref: string): Promise<EmitOutcome> {
    return new Promise((resolve) => this.waiting.set(ref, resolve));
  }

  /** Nobody will settle `ref` (its emit failed): the wait is dropped. */
  forget(ref: string): void {
    this.waiting.delete(ref);
  }

  settle(ref: string, outcome: EmitOutcome): boolean {
    const resolve = this.waiting.get(ref);
    this.waiting.delete(ref);
    resolve?.(outcome);
    return resolve !== undefined;
  }
}
