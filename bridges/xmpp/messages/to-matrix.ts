/** An incoming XMPP message as the remote events core takes (DMs and MUCs alike). */
import {
  remoteMessageId,
  type Attachment,
  type PortalKey,
  type RemoteEvent,
  type RemoteUserId,
} from '../../../src/connector.js';
import { plainText, type MessageContent } from '../../../src/format/content.js';
import { inlineToHtml, parseMatrixHtml } from '../../../src/format/html.js';
import { truncateUtf8, utf8Length } from '../../../src/format/text.js';
import { contentFromBody } from './format.js';
import { reactionId, type ReactionSets } from './reactions.js';
import type { ParsedMessage } from '../connection/stanzas.js';

/** The longest body bridged to Matrix (a Matrix event holds 64 KiB in all); longer ones are cut. */
export const MAX_BODY_BYTES = 32_768;
/**
 * What an event's text may take in all, its body and HTML (64 KiB less the event's other
 * fields); an edit carries them twice (`m.new_content` and the fallback), so half each.
 */
export const EVENT_TEXT_BYTES = 60_000;
const CUT = ' […cut: the message was too long for Matrix]';

/** The body as Matrix takes it: cut at `max` bytes, saying so. */
export function boundedBody(body: string, max = MAX_BODY_BYTES): string {
  return utf8Length(body) <= max ? body : truncateUtf8(body, max - utf8Length(CUT)) + CUT;
}

/** A string's bytes in the event's JSON (quotes, backslashes and controls escaped). */
const jsonBytes = (s: string) => Buffer.byteLength(JSON.stringify(s)) - 2;

/**
 * `content` as one copy of an event's text takes it (`budget` bytes of JSON), so the homeserver
 * does not refuse it as too large: its formatting dropped when the HTML would not fit beside the
 * text (the text, styling directives and all, is kept), and a text that JSON escaping makes too
 * long cut further, saying so. Short texts are not measured: they fit however escaped.
 */
export function fitted(content: MessageContent, budget: number): MessageContent {
  if (utf8Length(content.text) <= 2_048) return content;
  const text = jsonBytes(content.text);
  const html = content.formatted ? jsonBytes(inlineToHtml(content.formatted)) : 0;
  if (text + html <= budget) return content;
  const { formatted: _dropped, ...plain } = content;
  if (text <= budget) return plain;
  const max = Math.floor((utf8Length(content.text) * budget) / text);
  return { ...plain, text: boundedBody(content.text, max) };
}

export interface Heard {
  portal: PortalKey;
  sender: RemoteUserId;
  /** The id the message gets (a MUC's stanza-id, else its own id). */
  id: string;
  /** The id a reference (correction, retraction, reaction, reply) stands for, as core has it. */
  ref(id: string): string;
}

export async function eventsOf(
  m: ParsedMessage,
  h: Heard,
  reactions: ReactionSets,
  /** A file link (XEP-0066 / XEP-0363) as Matrix media, or undefined to keep it as a link. */
  media?: (url: string) => Promise<Attachment | undefined>,
): Promise<RemoteEvent[]> {
  const base = {
    portal: h.portal,
    sender: h.sender,
    ...(m.delayedAt !== undefined ? { timestamp: m.delayedAt } : {}),
  };
  const events: RemoteEvent[] = [];
  if (m.reactions) {
    const target = h.ref(m.reactions.id);
    const { added, removed } = await reactions.replace(
      h.portal,
      target,
      h.sender,
      m.reactions.keys,
    );
    for (const key of added)
      events.push({
        ...base,
        kind: 'reaction',
        id: remoteMessageId(reactionId(target, h.sender, key)),
        target: remoteMessageId(target),
        key,
      });
    for (const key of removed)
      events.push({
        ...base,
        kind: 'delete',
        target: remoteMessageId(reactionId(target, h.sender, key)),
      });
    return events;
  }
  if (m.displayed && m.body === undefined) {
    events.push({ ...base, kind: 'receipt', upTo: remoteMessageId(h.ref(m.displayed)) });
    return events;
  }
  if (m.retracts) {
    events.push({ ...base, kind: 'delete', target: remoteMessageId(h.ref(m.retracts)) });
    return events;
  }
  if (m.body !== undefined && m.body !== '') {
    const budget = m.replaces ? EVENT_TEXT_BYTES / 2 : EVENT_TEXT_BYTES;
    const max = Math.min(MAX_BODY_BYTES, budget);
    let content = contentFromBody(boundedBody(m.body, max));
    // XEP-0071: a client's XHTML-IM formatting wins over styling read from the body.
    if (m.xhtml && content.kind !== 'emote' && utf8Length(m.body) <= max) {
      const formatted = parseMatrixHtml(m.xhtml);
      if (formatted.length > 0) content = { kind: content.kind, text: m.body, formatted };
    }
    // A file: its link as the body (the usual), with out-of-band data naming it.
    const file =
      m.oob && !m.replaces && media && /^https?:\/\//.test(m.oob) && m.body.includes(m.oob)
        ? await media(m.oob)
        : undefined;
    if (file) {
      const rest = m.body.replace(m.oob!, '').trim();
      content = {
        ...(rest ? contentFromBody(boundedBody(rest, max)) : plainText('')),
        attachments: [file],
      };
    }
    content = fitted(content, budget);
    if (m.replaces)
      events.push({
        ...base,
        kind: 'edit',
        target: remoteMessageId(h.ref(m.replaces)),
        content,
      });
    else
      events.push({
        ...base,
        kind: 'message',
        id: remoteMessageId(h.id),
        content,
        ...(m.replyTo ? { replyTo: remoteMessageId(h.ref(m.replyTo)) } : {}),
      });
    return events;
  }
  if (m.chatState && m.delayedAt === undefined)
    events.push({ ...base, kind: 'typing', typing: m.chatState === 'composing' });
  return events;
}
