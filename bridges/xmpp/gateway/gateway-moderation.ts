/**
 * XEP-0425 moderation in gateway rooms (a Matrix room as a MUC on the component), both ways.
 * The room advertises both versions the bridge reads (v0.2, Prosody 0.12's; v0.3+).
 * XMPP → Matrix: an XMPP user's moderation request redacts the Matrix event as their ghost, with
 * the reason, when the ghost may redact others' events (its level reaches the room's `redact`,
 * as core tells it); else the request is refused (`forbidden`). The request is answered, and
 * every session in the room gets the announcement, once Matrix took the redaction (core's
 * `emitSettled`); a homeserver that refuses it (levels changed meanwhile) is the iq's error, and
 * nothing is announced. After a restart in between, the answer is sent on its own.
 * Matrix → XMPP: a Matrix user's redaction of another's message is the room's announcement, by
 * the redacter's occupant; of their own, their XEP-0424 retraction (from-matrix.ts).
 * A message's stanza-id in a gateway room is its remote id, so the request names it as core does.
 */
import { xml, type Element } from '@xmpp/xml';
import { remoteMessageId, type EmitOutcome } from '../../../src/connector.js';
import { newId, NS } from '../connection/stanzas.js';
import { xmlText } from '../connection/xml-text.js';
import type { XmppDeps } from '../deps.js';
import { safeJid, xmppUser } from '../ids.js';
import { refusalError, type ModerationRef } from '../messages/outcomes.js';
import type { GwRoom } from './gateway-room.js';

export const MODERATION_FEATURES = [NS.moderate0, NS.moderate1];

/** The stanza-id and reason a moderation request (v0.2 `apply-to`, v0.3+ `moderate id`) names. */
export function moderationRequest(iq: Element): { id: string; reason?: string } | undefined {
  const applyTo = iq.getChild('apply-to', NS.fasten);
  const v0 = applyTo?.getChild('moderate', NS.moderate0);
  const v1 = iq.getChild('moderate', NS.moderate1);
  const id = v0 ? applyTo?.attrs.id : v1?.attrs.id;
  if (!id || !(v0?.getChild('retract', NS.retract0) ?? v1?.getChild('retract', NS.retract)))
    return undefined;
  const reason = (v0 ?? v1)?.getChildText('reason') ?? undefined;
  return { id, ...(reason ? { reason } : {}) };
}

/** The room's announcement that `by` (an occupant's address) removed `stanzaId`, in both versions. */
export function announcement(
  room: string,
  to: string,
  stanzaId: string,
  by: string,
  reason: string | undefined,
): Element {
  const why = () => (reason ? xml('reason', {}, xmlText(reason)) : null);
  return xml(
    'message',
    { type: 'groupchat', from: room, to, id: newId() },
    xml(
      'apply-to',
      { xmlns: NS.fasten, id: stanzaId },
      xml('moderated', { xmlns: NS.moderate0, by }, xml('retract', { xmlns: NS.retract0 }), why()),
    ),
    xml(
      'retract',
      { xmlns: NS.retract, id: stanzaId },
      xml('moderated', { xmlns: NS.moderate1, by }),
      why(),
    ),
  );
}

/** Tells every session in the room that the occupant `nick` removed `stanzaId`. */
export async function announce(
  d: XmppDeps,
  room: GwRoom,
  nick: string,
  stanzaId: string,
  reason: string | undefined,
): Promise<void> {
  const sent = [...room.occupants.values()].map((p) =>
    d.link.send(announcement(p.roomJid, p.full, stanzaId, `${p.roomJid}/${nick}`, reason)),
  );
  await Promise.all(sent);
}

const error = (type: string, condition: string, text: string) =>
  xml(
    'error',
    { type },
    xml(condition, { xmlns: NS.stanzas }),
    xml('text', { xmlns: NS.stanzas }, text),
  );

/** An XMPP user's moderation request to a gateway room: the iq's answer (an error, or null: done). */
export async function moderateFromXmpp(
  d: XmppDeps,
  target: string,
  room: GwRoom | undefined,
  iq: Element,
): Promise<Element | null> {
  const asked = moderationRequest(iq);
  if (!asked) return error('modify', 'bad-request', 'a moderation retracts a message by its id');
  const o = room?.occupants.get(safeJid(iq.attrs.from ?? '')?.toString() ?? '');
  if (!room || !o) return error('cancel', 'not-acceptable', 'join the room first');
  if ((room.levels.get(o.bare) ?? 0) < room.redactLevel)
    return error('auth', 'forbidden', 'only the Matrix room’s moderators may remove messages');
  const settled: ModerationRef = {
    t: 'moderation',
    alias: target,
    iq: {
      from: iq.attrs.from ?? '',
      to: iq.attrs.to ?? '',
      ...(iq.attrs.id ? { id: iq.attrs.id } : {}),
    },
    nick: o.nick,
    stanzaId: asked.id,
    ...(asked.reason ? { reason: asked.reason } : {}),
  };
  const ref = JSON.stringify(settled);
  const outcome = d.waits.wait(ref);
  const event = {
    kind: 'delete' as const,
    portal: room.key,
    sender: xmppUser(o.bare),
    target: remoteMessageId(asked.id),
    ...(asked.reason ? { reason: asked.reason } : {}),
  };
  // Not stored (no portal any more): nobody will settle it, so the wait goes with the error.
  await d.emit(event, ref).catch((err: unknown) => {
    d.waits.forget(ref);
    throw err;
  });
  return moderationDone(d, room, settled, await outcome);
}

/** A moderation Matrix settled: announced in the room when it took it; the iq's answer. */
export async function moderationDone(
  d: XmppDeps,
  room: GwRoom | undefined,
  ref: ModerationRef,
  outcome: EmitOutcome,
): Promise<Element | null> {
  if (!outcome.delivered) return refusalError(outcome);
  if (room) await announce(d, room, ref.nick, ref.stanzaId, ref.reason);
  return null; // an empty result
}

/** The answer to a moderation iq whose handler is gone (the bridge restarted in between). */
export const lateAnswer = (ref: ModerationRef, answer: Element | null): Element =>
  xml(
    'iq',
    {
      type: answer ? 'error' : 'result',
      from: ref.iq.to,
      to: ref.iq.from,
      ...(ref.iq.id ? { id: ref.iq.id } : {}),
    },
    answer,
  );
