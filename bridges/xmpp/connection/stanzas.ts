/**
 * Stanzas the bridge sends and what it reads from those it gets, built and read only through
 * @xmpp/xml (ltx): every text and attribute is escaped by the library, never by string building.
 */
import { randomUUID } from 'node:crypto';
import { Element, xml } from '@xmpp/xml';
import { xmlText } from './xml-text.js';

export const NS = {
  sid: 'urn:xmpp:sid:0',
  chatStates: 'http://jabber.org/protocol/chatstates',
  correct: 'urn:xmpp:message-correct:0',
  retract: 'urn:xmpp:message-retract:1',
  fallback: 'urn:xmpp:fallback:0',
  reactions: 'urn:xmpp:reactions:0',
  reply: 'urn:xmpp:reply:0',
  muc: 'http://jabber.org/protocol/muc',
  mucUser: 'http://jabber.org/protocol/muc#user',
  mucAdmin: 'http://jabber.org/protocol/muc#admin',
  delay: 'urn:xmpp:delay',
  hints: 'urn:xmpp:hints',
  stanzas: 'urn:ietf:params:xml:ns:xmpp-stanzas',
  nick: 'http://jabber.org/protocol/nick',
  oob: 'jabber:x:oob',
  /** XEP-0249 direct MUC invitations. */
  conference: 'jabber:x:conference',
  markers: 'urn:xmpp:chat-markers:0',
  receipts: 'urn:xmpp:receipts',
  occupantId: 'urn:xmpp:occupant-id:0',
  xhtmlIm: 'http://jabber.org/protocol/xhtml-im',
  xhtml: 'http://www.w3.org/1999/xhtml',
  /** XEP-0425 v0.2 (Prosody 0.12's mod_muc_moderation): moderated inside fasten's apply-to. */
  moderate0: 'urn:xmpp:message-moderate:0',
  fasten: 'urn:xmpp:fasten:0',
  retract0: 'urn:xmpp:message-retract:0',
  /** XEP-0425 v0.3+: moderated inside a XEP-0424 v0.4 retract. */
  moderate1: 'urn:xmpp:message-moderate:1',
} as const;

/** The XEP-0425 moderation a room announces: its stanza-id of the message, by whom, why. */
export interface Moderation {
  /** The room's stanza-id of the moderated message. */
  id: string;
  /** The moderator's occupant JID (room@host/nick), where the room tells it. */
  by?: string;
  reason?: string;
}

/**
 * XEP-0425 read from a room's announcement: v0.2 (`apply-to` of urn:xmpp:fasten:0 with a
 * `moderated` of urn:xmpp:message-moderate:0 holding a urn:xmpp:message-retract:0 `retract`)
 * or v0.3+ (a urn:xmpp:message-retract:1 `retract id` with a urn:xmpp:message-moderate:1
 * `moderated`). A moderation that does not retract (v0.2 could also edit) is not one we read.
 */
export function moderationOf(el: Element): Moderation | undefined {
  const applyTo = el.getChild('apply-to', NS.fasten);
  const v0 = applyTo?.getChild('moderated', NS.moderate0);
  if (applyTo?.attrs.id && v0?.getChild('retract', NS.retract0)) {
    const reason = v0.getChildText('reason');
    return {
      id: applyTo.attrs.id,
      ...(v0.attrs.by ? { by: v0.attrs.by } : {}),
      ...(reason ? { reason } : {}),
    };
  }
  const retract = el.getChild('retract', NS.retract);
  const v1 = retract?.getChild('moderated', NS.moderate1);
  if (retract?.attrs.id && v1) {
    const reason = retract.getChildText('reason') ?? v1.getChildText('reason');
    return {
      id: retract.attrs.id,
      ...(v1.attrs.by ? { by: v1.attrs.by } : {}),
      ...(reason ? { reason } : {}),
    };
  }
  return undefined;
}

/** The longest XHTML-IM body read (a longer one is ignored: the plain body stands). */
const MAX_XHTML = 65_536;

/** XEP-0071: the XHTML body's content as markup (serialized by the XML library), if any. */
function xhtmlOf(el: Element): string | undefined {
  const body = el.getChild('html', NS.xhtmlIm)?.getChild('body', NS.xhtml);
  if (!body) return undefined;
  const markup = body.children.map((c) => c.toString()).join('');
  return markup.length > 0 && markup.length <= MAX_XHTML ? markup : undefined;
}

export const newId = (): string => randomUUID();

export type ChatState = 'active' | 'composing' | 'paused' | 'inactive' | 'gone';

/** What the bridge reads from an incoming `<message/>`. */
export interface ParsedMessage {
  type: string;
  from: string;
  to: string;
  /** The `id` attribute (what XEP-0308 corrections point at). */
  id?: string;
  /** XEP-0359 origin-id. */
  originId?: string;
  /** XEP-0359 stanza-id given by `by` (a MUC's own, for groupchat). */
  stanzaIds: { id: string; by: string }[];
  body?: string;
  subject?: string;
  /** XEP-0308: the id of the message this one corrects. */
  replaces?: string;
  /** XEP-0424: the id of the message retracted (not when a moderator retracts: `moderated`). */
  retracts?: string;
  /** XEP-0425: a moderator removed a message (the room's own announcement). */
  moderated?: Moderation;
  /** XEP-0444: the whole set of the sender's reactions to a message. */
  reactions?: { id: string; keys: string[] };
  /** XEP-0461: the id of the message this one replies to. */
  replyTo?: string;
  chatState?: ChatState;
  /** XEP-0203: when it was sent, for a delayed (history) message. */
  delayedAt?: number;
  /** XEP-0066: the address of a file sent with the message (XEP-0363 uploads use it). */
  oob?: string;
  /** XEP-0333: the id of the message the sender has read (and all before it). */
  displayed?: string;
  /** XEP-0071 XHTML-IM: the formatted body as XHTML markup (the body's children). */
  xhtml?: string;
  error?: { condition?: string; text?: string };
}

const CHAT_STATES: ChatState[] = ['active', 'composing', 'paused', 'inactive', 'gone'];

/** The body without a XEP-0428 fallback for XEP-0461 (the quoted text a client adds in front). */
function bodyWithoutReplyFallback(el: Element, body: string): string {
  const fallback = el
    .getChildren('fallback', NS.fallback)
    .find((f) => f.attrs.for === NS.reply)
    ?.getChild('body');
  if (!fallback) return body;
  // Offsets count Unicode code points.
  const points = [...body];
  const start = Number(fallback.attrs.start ?? 0);
  const end = Number(fallback.attrs.end ?? 0);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > points.length)
    return body;
  if (end <= start) return body;
  return (points.slice(0, start).join('') + points.slice(end).join('')).replace(/^\n+/, '');
}

export function parseMessage(el: Element): ParsedMessage {
  const text = (name: string, ns?: string) => {
    const child = el.getChild(name, ns);
    return child ? child.getText() : undefined;
  };
  const body = text('body');
  const reactionsEl = el.getChild('reactions', NS.reactions);
  const delay = el.getChild('delay', NS.delay)?.attrs.stamp;
  const delayedAt = delay ? Date.parse(delay) : NaN;
  const errorEl = el.attrs.type === 'error' ? el.getChild('error') : undefined;
  const condition = errorEl
    ?.getChildElements()
    .find((c) => c.getNS() === NS.stanzas && c.name !== 'text')?.name;
  return {
    type: el.attrs.type ?? 'normal',
    from: el.attrs.from ?? '',
    to: el.attrs.to ?? '',
    ...(el.attrs.id ? { id: el.attrs.id } : {}),
    ...(el.getChild('origin-id', NS.sid)?.attrs.id
      ? { originId: el.getChild('origin-id', NS.sid)!.attrs.id! }
      : {}),
    stanzaIds: el
      .getChildren('stanza-id', NS.sid)
      .filter((s) => s.attrs.id && s.attrs.by)
      .map((s) => ({ id: s.attrs.id!, by: s.attrs.by! })),
    ...(body !== undefined ? { body: bodyWithoutReplyFallback(el, body) } : {}),
    ...(text('subject') !== undefined ? { subject: text('subject')! } : {}),
    ...(el.getChild('replace', NS.correct)?.attrs.id
      ? { replaces: el.getChild('replace', NS.correct)!.attrs.id! }
      : {}),
    ...(() => {
      const moderated = moderationOf(el);
      if (moderated) return { moderated };
      const retracts = el.getChild('retract', NS.retract)?.attrs.id;
      return retracts ? { retracts } : {};
    })(),
    ...(reactionsEl?.attrs.id
      ? {
          reactions: {
            id: reactionsEl.attrs.id,
            keys: [
              ...new Set(reactionsEl.getChildren('reaction').map((r) => r.getText().trim())),
            ].filter((k) => k.length > 0 && k.length <= 64),
          },
        }
      : {}),
    ...(el.getChild('reply', NS.reply)?.attrs.id
      ? { replyTo: el.getChild('reply', NS.reply)!.attrs.id! }
      : {}),
    ...(() => {
      const state = CHAT_STATES.find((s) => el.getChild(s, NS.chatStates));
      return state ? { chatState: state } : {};
    })(),
    ...(Number.isFinite(delayedAt) ? { delayedAt } : {}),
    ...(xhtmlOf(el) !== undefined ? { xhtml: xhtmlOf(el)! } : {}),
    ...(el.getChild('displayed', NS.markers)?.attrs.id
      ? { displayed: el.getChild('displayed', NS.markers)!.attrs.id! }
      : {}),
    ...(el.getChild('x', NS.oob)?.getChildText('url')
      ? { oob: el.getChild('x', NS.oob)!.getChildText('url')!.trim() }
      : {}),
    ...(errorEl
      ? {
          error: {
            ...(condition ? { condition } : {}),
            ...(errorEl.getChildText('text', NS.stanzas)
              ? { text: errorEl.getChildText('text', NS.stanzas)! }
              : {}),
          },
        }
      : {}),
  };
}

export interface OutgoingMessage {
  type: 'chat' | 'groupchat';
  from: string;
  to: string;
  id: string;
  body?: string;
  replaces?: string;
  retracts?: string;
  reactions?: { id: string; keys: string[] };
  replyTo?: { id: string; to?: string };
  /** XEP-0428: how many code points at the start of the body quote the replied-to message. */
  replyFallback?: number;
  chatState?: ChatState;
  subject?: string;
  /** XEP-0066: a file's address (clients show it as the file). */
  oob?: string;
  /** XEP-0333: the id of the message the sender has read (a Matrix read receipt). */
  displayed?: string;
  /** XEP-0184: the id of a message whose sender asked to hear that it arrived. */
  received?: string;
  /** XEP-0045 §7.5: a private message through a MUC (an empty muc#user `x`). */
  mucUser?: boolean;
}

/** A `<message/>`; its id is also its XEP-0359 origin-id. */
export function buildMessage(m: OutgoingMessage): Element {
  return xml(
    'message',
    { type: m.type, from: m.from, to: m.to, id: m.id },
    m.subject !== undefined ? xml('subject', {}, xmlText(m.subject)) : null,
    m.body !== undefined ? xml('body', {}, xmlText(m.body)) : null,
    xml('origin-id', { xmlns: NS.sid, id: m.id }),
    m.replaces ? xml('replace', { xmlns: NS.correct, id: m.replaces }) : null,
    m.retracts ? xml('retract', { xmlns: NS.retract, id: m.retracts }) : null,
    m.retracts ? xml('fallback', { xmlns: NS.fallback, for: NS.retract }) : null,
    m.retracts ? xml('store', { xmlns: NS.hints }) : null,
    m.reactions
      ? xml(
          'reactions',
          { xmlns: NS.reactions, id: m.reactions.id },
          ...m.reactions.keys.map((k) => xml('reaction', {}, xmlText(k))),
        )
      : null,
    m.reactions ? xml('store', { xmlns: NS.hints }) : null,
    m.replyTo ? xml('reply', { xmlns: NS.reply, id: m.replyTo.id, to: m.replyTo.to }) : null,
    m.replyTo && m.replyFallback
      ? xml(
          'fallback',
          { xmlns: NS.fallback, for: NS.reply },
          xml('body', { start: '0', end: String(m.replyFallback) }),
        )
      : null,
    m.chatState ? xml(m.chatState, { xmlns: NS.chatStates }) : null,
    m.oob ? xml('x', { xmlns: NS.oob }, xml('url', {}, xmlText(m.oob))) : null,
    m.displayed ? xml('displayed', { xmlns: NS.markers, id: m.displayed }) : null,
    m.received ? xml('received', { xmlns: NS.receipts, id: m.received }) : null,
    m.mucUser ? xml('x', { xmlns: NS.mucUser }) : null,
    // XEP-0333: clients tell when they have shown it (a Matrix read receipt of their ghost).
    m.body !== undefined && !m.replaces && !m.retracts
      ? xml('markable', { xmlns: NS.markers })
      : null,
  );
}

/**
 * A presence to join a MUC as `nick` (no history: the bridge catches up by itself), with `extra`
 * (show, status, the XEP-0153 photo hash).
 */
/** A MUC join (XEP-0045 §7.2), with the room's password (§7.2.6) when it has one. */
export function buildJoin(
  from: string,
  occupant: string,
  extra: Element[] = [],
  password?: string,
): Element {
  return xml(
    'presence',
    { from, to: occupant, id: newId() },
    xml(
      'x',
      { xmlns: NS.muc },
      xml('history', { maxstanzas: '0' }),
      password !== undefined ? xml('password', {}, xmlText(password)) : null,
    ),
    ...extra,
  );
}

export function buildLeave(from: string, occupant: string, status?: string): Element {
  return xml(
    'presence',
    { from, to: occupant, type: 'unavailable' },
    status ? xml('status', {}, xmlText(status)) : null,
  );
}

/** An error answer to a stanza (RFC 6120 §8.3): `to` and `from` swapped. */
export function buildError(
  stanza: Element,
  type: 'cancel' | 'modify' | 'auth' | 'wait',
  condition: string,
  text?: string,
): Element {
  return xml(
    stanza.name,
    { type: 'error', from: stanza.attrs.to, to: stanza.attrs.from, id: stanza.attrs.id },
    xml(
      'error',
      { type },
      xml(condition, { xmlns: NS.stanzas }),
      text ? xml('text', { xmlns: NS.stanzas }, xmlText(text)) : null,
    ),
  );
}

/** A deep copy of a stanza (to readdress it): attributes and children copied, texts shared. */
export function cloneStanza(el: Element): Element {
  const copy = new Element(el.name, { ...el.attrs });
  for (const child of el.children)
    copy.append(typeof child === 'string' ? child : cloneStanza(child));
  return copy;
}

/**
 * A XEP-0425 moderation request (an iq set to the room from a moderator's occupant): retract the
 * message with the room's `stanzaId`, for `reason`; `version` 0 is v0.2 (Prosody 0.12's
 * mod_muc_moderation: fasten `apply-to`), 1 is v0.3+ (`moderate id` with a retract of
 * urn:xmpp:message-retract:1).
 */
export function buildModeration(
  from: string,
  room: string,
  stanzaId: string,
  reason: string | undefined,
  version: 0 | 1,
): Element {
  const why = reason ? xml('reason', {}, xmlText(reason)) : null;
  return xml(
    'iq',
    { type: 'set', from, to: room, id: newId() },
    version === 0
      ? xml(
          'apply-to',
          { xmlns: NS.fasten, id: stanzaId },
          xml('moderate', { xmlns: NS.moderate0 }, xml('retract', { xmlns: NS.retract0 }), why),
        )
      : xml(
          'moderate',
          { xmlns: NS.moderate1, id: stanzaId },
          xml('retract', { xmlns: NS.retract }),
          why,
        ),
  );
}
