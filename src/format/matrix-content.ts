/**
 * `m.room.message` content to and from the intermediate MessageContent.
 *
 * Edits: for an `m.replace` event the caller passes `content['m.new_content']`
 * to `fromMatrixContent` (the outer content is the `* …` fallback), and wraps
 * the output of `toMatrixContent` in `m.new_content` itself. Reply and thread
 * relations (`m.relates_to`) are the caller's too; here only the reply
 * fallback text is removed.
 */
import type { Attachment, Inline, MessageContent } from './content.js';
import { escapeHtml, inlineToHtml } from './html.js';
import { parseMatrixHtml } from './html-parse.js';
import { isMatrixUserId, isSafeHref } from './matrix-links.js';
import { inlineToPlain, mentionedUserIds, type MentionNaming } from './plain.js';
import { replaceLoneSurrogates, stripControl } from './text.js';

export const HTML_FORMAT = 'org.matrix.custom.html';

export interface MatrixMentions {
  user_ids?: string[];
  room?: boolean;
}

export interface MatrixTextContent {
  msgtype: 'm.text' | 'm.notice' | 'm.emote';
  body: string;
  format?: typeof HTML_FORMAT;
  formatted_body?: string;
  'm.mentions': MatrixMentions;
}

export interface MatrixMediaContent {
  msgtype: 'm.image' | 'm.file' | 'm.audio' | 'm.video';
  body: string;
  filename: string;
  url: string;
  info?: { mimetype?: string; size?: number };
  'm.mentions': MatrixMentions;
}

const MSGTYPE = new Map<string, MatrixTextContent['msgtype']>([
  ['text', 'm.text'],
  ['notice', 'm.notice'],
  ['emote', 'm.emote'],
]);

/** Matrix JSON must be valid Unicode, and NUL breaks some homeserver databases. */
const clean = (s: string): string => replaceLoneSurrogates(s.replace(/\u0000/g, ''));

/**
 * The Matrix content for a message. `m.mentions` is always set, listing the
 * users of the mention pills: a remote user's text can then never ping a
 * Matrix user by display name or `@room`, only through an explicit mention.
 */
export function toMatrixContent(
  content: MessageContent,
  opts: MentionNaming = {},
): MatrixTextContent {
  const out: MatrixTextContent = {
    msgtype: MSGTYPE.get(content.kind) ?? 'm.text',
    body: clean(content.text),
    'm.mentions': {},
  };
  if (content.formatted !== undefined) {
    out.format = HTML_FORMAT;
    out.formatted_body = clean(inlineToHtml(content.formatted, opts));
    const userIds = mentionedUserIds(content.formatted).filter(isMatrixUserId);
    if (userIds.length > 0) out['m.mentions'] = { user_ids: userIds };
  }
  return out;
}

const MEDIA_BY_MAJOR_TYPE = new Map<string, MatrixMediaContent['msgtype']>([
  ['image', 'm.image'],
  ['audio', 'm.audio'],
  ['video', 'm.video'],
]);
const mediaType = (mimeType: string | undefined): MatrixMediaContent['msgtype'] =>
  MEDIA_BY_MAJOR_TYPE.get(mimeType?.split('/')[0] ?? '') ?? 'm.file';

/**
 * The Matrix content for one attachment, which must already be Matrix media
 * (`mxc://`). Remote media core did not upload becomes a plain link instead.
 */
export function attachmentToMatrixContent(
  attachment: Attachment,
): MatrixMediaContent | MatrixTextContent {
  const name = clean(attachment.name) || 'file';
  if (!attachment.url.startsWith('mxc://')) {
    const url = clean(attachment.url);
    const safe = isSafeHref(url);
    return {
      msgtype: 'm.text',
      body: name === url ? url : `${name}: ${url}`,
      ...(safe && {
        format: HTML_FORMAT,
        formatted_body: `<a href="${escapeHtml(url)}">${escapeHtml(name)}</a>`,
      }),
      'm.mentions': {},
    };
  }
  const info: MatrixMediaContent['info'] = {};
  if (attachment.mimeType !== undefined) info.mimetype = attachment.mimeType;
  if (attachment.size !== undefined) info.size = attachment.size;
  return {
    msgtype: mediaType(attachment.mimeType),
    body: name,
    filename: name,
    url: attachment.url,
    ...(Object.keys(info).length > 0 && { info }),
    'm.mentions': {},
  };
}

// ---------------------------------------------------------------- Matrix → intermediate

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A Map, not an object literal: a msgtype of `constructor` must not find Object's. */
const KIND = new Map<string, MessageContent['kind']>([
  ['m.text', 'text'],
  ['m.notice', 'notice'],
  ['m.emote', 'emote'],
]);
const MEDIA = new Set(['m.image', 'm.file', 'm.audio', 'm.video']);
const MXC = /^mxc:\/\/[A-Za-z0-9.:[\]-]+\/[A-Za-z0-9_-]+$/;
const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i;

/**
 * Remove a reply fallback (`> <@alice:example.org> original` lines, then a
 * blank line) from the start of a body. Only the spec's fallback shape is
 * removed: since Matrix 1.13 clients send no fallback, and a reply that
 * starts with a quote of its own must keep it.
 */
export function stripReplyFallback(body: string): string {
  const lines = body.split('\n');
  if (!/^> (?:\* )?<[^>\s]+> /.test(lines[0] ?? '')) return body;
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith('>')) i++;
  if (lines[i] === '') i++;
  return lines.slice(i).join('\n');
}

function formattedOf(content: Record<string, unknown>): Inline[] | undefined {
  if (content.format !== HTML_FORMAT || typeof content.formatted_body !== 'string')
    return undefined;
  // Quotes, headings and lists as blocks: renderers without them flatten them to the same lines.
  const parsed = parseMatrixHtml(content.formatted_body, { blocks: true });
  return parsed.length > 0 ? parsed : undefined;
}

function attachmentOf(content: Record<string, unknown>): Attachment | undefined {
  // Encrypted media (`file` instead of `url`) is useless without the room's keys.
  if (typeof content.url !== 'string' || !MXC.test(content.url)) return undefined;
  const body = typeof content.body === 'string' ? content.body : '';
  const filename = typeof content.filename === 'string' ? content.filename : '';
  // A name travels into file names and mail headers: no control characters.
  const name = stripControl(filename || body).trim() || 'file';
  const attachment: Attachment = { url: content.url, name };
  const info = isRecord(content.info) ? content.info : {};
  if (typeof info.mimetype === 'string' && MIME.test(info.mimetype)) {
    attachment.mimeType = info.mimetype.toLowerCase();
  }
  if (Number.isSafeInteger(info.size) && (info.size as number) >= 0) {
    attachment.size = info.size as number;
  }
  return attachment;
}

function convert(content: unknown): MessageContent | undefined {
  if (!isRecord(content) || typeof content.msgtype !== 'string') return undefined;
  const relatesTo = content['m.relates_to'];
  const isReply = isRecord(relatesTo) && isRecord(relatesTo['m.in_reply_to']);
  const rawBody = typeof content.body === 'string' ? content.body : undefined;
  let body = rawBody === undefined ? undefined : replaceLoneSurrogates(rawBody);
  if (body !== undefined && isReply) body = stripReplyFallback(body);

  if (MEDIA.has(content.msgtype)) {
    const attachment = attachmentOf(content);
    if (attachment === undefined) return undefined;
    // MSC2530: a body that differs from the filename is a caption.
    const filename = typeof content.filename === 'string' ? content.filename : '';
    const caption = filename !== '' && rawBody !== filename ? (body ?? '') : '';
    const out: MessageContent = { kind: 'text', text: caption, attachments: [attachment] };
    const formatted = caption !== '' ? formattedOf(content) : undefined;
    if (formatted) out.formatted = formatted;
    return out;
  }

  // Spec: a client shows the body of a msgtype it does not know.
  const kind = KIND.get(content.msgtype) ?? 'text';
  const formatted = formattedOf(content);
  const text = body || (formatted ? inlineToPlain(formatted) : '');
  if (text === '') return undefined;
  return formatted ? { kind, text, formatted } : { kind, text };
}

/**
 * The intermediate form of `m.room.message` content, or undefined when it is
 * unusable (not an object, no text, media without an `mxc://` url). Never
 * throws, whatever the input. Media gives an attachment; its text is the
 * caption, or empty. Reply fallbacks are stripped from body and formatted_body.
 */
export function fromMatrixContent(content: unknown): MessageContent | undefined {
  try {
    return convert(content);
  } catch {
    return undefined; // hostile input must never take the pipeline down
  }
}
