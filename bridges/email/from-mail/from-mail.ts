/**
 * One mail → the portal's room: the first mail of a thread becomes a Matrix thread root showing
 * its subject (sent by the correspondent's ghost), every later mail of the thread a message in that
 * Matrix thread. text/plain as it is; text/html sanitized by `src/format` (what Matrix HTML allows,
 * no images fetched). Auto-replies and bounces come as notices.
 */
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import {
  remoteMessageId,
  type BridgeContext,
  type EmitOptions,
  type Inline,
  type MessageContent,
  type PortalKey,
  type RemoteMessageId,
} from '../../../src/connector.js';
import { parseMatrixHtml } from '../../../src/format/html.js';
import { truncateUtf8 } from '../../../src/format/text.js';
import { isAddress, normalizeAddress } from '../from-matrix/addresses.js';
import type { EmailConfig } from '../config.js';
import { mailMessageId, makeRemoteUser, messageIdList } from '../ids.js';
import { bounceIntro, bouncedMail, bounceReason } from '../from-matrix/bounces.js';
import { verdict } from './filters.js';
import { listIdOf, type ListRooms } from '../portals/lists.js';
import type { EmailMetrics } from '../mailboxes/metrics.js';
import { foldQuotes } from './quotes.js';
import { uploadAttachments } from './mail-attachments.js';
import type { ThreadRecord, Threads } from '../portals/threads.js';

/** The longest text of one mail shown in Matrix (the rest is cut, with a note). */
const MAX_SHOWN_BYTES = 60_000;
const UNKNOWN_SENDER = 'unknown-sender@invalid';

export interface MailSource {
  uid: number;
  uidValidity: bigint;
  source: Buffer;
  /** The direct mode's sender verdict, shown above the mail's text. */
  auth?: string;
}

export interface FromMailDeps {
  ctx: BridgeContext<EmailConfig>;
  threads: Threads;
  portal: PortalKey;
  mailboxId: string;
  /** The mailbox's own address: never a correspondent. */
  ownAddress: string;
  /** The mailbox's allow and deny lists. */
  lists: { allow_senders: string[]; deny_senders: string[] };
  metrics?: EmailMetrics;
  /** Display names set on ghosts already (address → name), so a profile is set once per change. */
  ghostNames: Map<string, string>;
  /** Rooms linked to mailing lists (`List-Id`): their mail goes there instead. */
  listRooms?: ListRooms;
  /** A delivery report about a mail from Matrix came in (its Message-ID, the report's reason). */
  bounced?: (messageId: string, reason: string) => void;
  /**
   * A catch-up's pipeline: the mail's Matrix events and thread records are handed over without
   * waiting for them to be stored (core keeps the events' order; the records are stored after the
   * events); what settles once they are is given here, and the caller awaits it.
   */
  defer?: (stored: Promise<void>) => void;
  /**
   * With `defer`: the thread records are stored once this resolves too (the end of the batch), so
   * a batch's records share one commit. The events are then stored to survive a crash of the
   * process only: the records' commit, later and flushed to disk, carries them to disk too.
   */
  gate?: Promise<void>;
}

const addresses = (field: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(field) ? field : field ? [field] : []).flatMap((o) => o.value);

/** `user+detail@domain` → `user@domain` (the mailbox's own address with a folder detail is still its own). */
const withoutDetail = (a: string) => a.replace(/\+[^@]*@/, '@');

/** Correspondents a reply goes to: Reply-To (else From), To and Cc, less the mailbox itself. */
export function participantsOf(mail: ParsedMail, ownAddress: string): string[] {
  const replyTo = addresses(mail.replyTo);
  const all = [
    ...(replyTo.length ? replyTo : addresses(mail.from)),
    ...addresses(mail.to),
    ...addresses(mail.cc),
  ];
  const out: string[] = [];
  for (const a of all) {
    const addr = a.address && normalizeAddress(a.address);
    if (addr && isAddress(addr) && withoutDetail(addr) !== ownAddress && !out.includes(addr))
      out.push(addr);
  }
  return out;
}

/** A mailing list's posting address, from `List-Post: <mailto:list@example.org>` (RFC 2369). */
export function listPostAddress(mail: ParsedMail): string | undefined {
  const line = mail.headerLines.find((h) => h.key === 'list-post')?.line ?? '';
  const m = /<mailto:([^>?\s]+)/i.exec(line);
  const address = m?.[1] && normalizeAddress(decodeURIComponent(m[1]));
  return address && isAddress(address) ? address : undefined;
}

/** An auto-reply or a delivery report (RFC 3834 Auto-Submitted, Precedence, DSN). */
export function isAutomatic(mail: ParsedMail): boolean {
  const header = (name: string) => String(mail.headers.get(name) ?? '').toLowerCase();
  const auto = header('auto-submitted');
  if (auto && auto !== 'no') return true;
  if (['bulk', 'junk', 'auto_reply'].includes(header('precedence'))) return true;
  const type = mail.headers.get('content-type') as
    { value?: string; params?: Record<string, string> } | undefined;
  return type?.value === 'multipart/report';
}

/**
 * The body as Matrix content: HTML (sanitized) when the mail has it, else its plain text; quoted
 * history and signatures folded out of the plain text.
 */
export function mailBody(mail: ParsedMail): {
  text: string;
  formatted?: Inline[];
  /** Quoted text or a signature was folded away, or the text was cut. */
  shortened?: boolean;
} {
  const plain = (mail.text ?? '').replace(/\r\n/g, '\n').trim();
  const html = typeof mail.html === 'string' ? mail.html : undefined;
  let cutAny = false;
  const cut = (s: string) => {
    const t = truncateUtf8(s, MAX_SHOWN_BYTES);
    if (t.length < s.length) cutAny = true;
    return t.length < s.length ? `${t}\n[… the rest of the mail is not shown]` : t;
  };
  // Quoted history (the thread shows it already) and a signature: folded away, and then the plain
  // text is shown (the HTML would carry the quote along).
  const folded = foldQuotes(plain);
  if (folded.folded > 0)
    return { text: `${cut(folded.text)}\n[… quoted text hidden]`, shortened: true };
  if (!html) {
    const text = cut(plain);
    return cutAny ? { text, shortened: true } : { text };
  }
  const formatted = noMentions(
    parseMatrixHtml(html.length > 4 * MAX_SHOWN_BYTES ? html.slice(0, 4 * MAX_SHOWN_BYTES) : html),
  );
  const text = cut(plain);
  return { text, formatted, ...(cutAny ? { shortened: true } : {}) };
}

/**
 * A mail's matrix.to user links stay text: anyone can send mail, and a mention pill would ping
 * (many) Matrix users from outside.
 */
export function noMentions(inlines: Inline[]): Inline[] {
  return inlines.flatMap((n): Inline[] =>
    typeof n === 'string' || n.style === 'linebreak'
      ? [n]
      : n.style === 'mention'
        ? noMentions(n.children)
        : [{ ...n, children: noMentions(n.children) }],
  );
}

/** A thread root: the subject in bold on its own line, then the body. */
function rootContent(
  subject: string,
  body: { text: string; formatted?: Inline[] },
): Pick<MessageContent, 'text' | 'formatted'> {
  const shown = subject || '(no subject)';
  return {
    text: `${shown}\n\n${body.text}`,
    formatted: [
      { style: 'bold', children: [shown] },
      { style: 'linebreak' },
      { style: 'linebreak' },
      ...(body.formatted ?? splitLines(body.text)),
    ],
  };
}

/** The direct mode's verdict line above the text (in italics). */
function withAuth(
  body: { text: string; formatted?: Inline[]; shortened?: boolean },
  auth: string | undefined,
): { text: string; formatted?: Inline[] } {
  if (!auth) return body;
  return {
    text: `${auth}\n\n${body.text}`,
    formatted: [
      { style: 'italic', children: [auth] },
      { style: 'linebreak' },
      { style: 'linebreak' },
      ...(body.formatted ?? splitLines(body.text)),
    ],
  };
}

const splitLines = (text: string): Inline[] =>
  text
    .split('\n')
    .flatMap((line, i) => (i === 0 ? [line] : [{ style: 'linebreak' } as const, line]));

/**
 * Bridges one fetched mail. Resolves when it is queued for Matrix (or known already: a mail with a
 * Message-ID the portal has seen is never bridged twice). Returns the id it was bridged under.
 */
export async function bridgeMail(
  deps: FromMailDeps,
  mail: MailSource,
): Promise<RemoteMessageId | undefined> {
  const { ctx, threads, portal } = deps;
  const parsed = await simpleParser(mail.source, { skipImageLinks: true, skipTextToHtml: true });
  const id = mailMessageId(parsed.messageId, portal, mail.uidValidity, mail.uid);
  if (await threads.rootOf(portal, id)) return undefined; // bridged before (or sent from Matrix)

  const from = addresses(parsed.from).find(
    (a) => a.address && isAddress(normalizeAddress(a.address)),
  );
  const address = from?.address ? normalizeAddress(from.address) : UNKNOWN_SENDER;
  const sender = makeRemoteUser(address);
  const judged = verdict(parsed, address, deps.lists);
  if (judged === 'denied') {
    deps.metrics?.mail('in', 'denied');
    ctx.log.info({ portal, messageId: id }, 'a mail from a sender the mailbox denies: not bridged');
    return undefined;
  }
  const name = from?.name?.trim() || address;
  if (deps.ghostNames.get(address) !== name) {
    await ctx.setGhostProfile(sender, { displayName: name });
    deps.ghostNames.set(address, name);
  }

  const subject = parsed.subject ?? '';
  const bounce = await bouncedMail(ctx.kv, deps.mailboxId, parsed, mail.source);
  if (bounce) deps.bounced?.(bounce.id, bounceReason(mail.source));
  if (bounce && bounce.sent.portal !== portal) {
    // The report landed in another folder than the mail was sent from: it goes to that room.
    return bridgeMail({ ...deps, portal: bounce.sent.portal }, mail);
  }
  const listId = deps.listRooms && listIdOf(parsed);
  const listPortal = listId && deps.listRooms?.portalFor(deps.mailboxId, listId);
  if (listPortal && listPortal !== portal) {
    // A mail of a list linked to a room of its own: it goes there (once: the room's own check).
    return bridgeMail({ ...deps, portal: listPortal }, mail);
  }
  if (judged === 'spam') {
    await ctx.emit({
      kind: 'message',
      portal,
      sender,
      id,
      content: {
        kind: 'notice',
        text: `The mail server marked a mail from ${address} as spam (“${truncateUtf8(subject, 200)}”): it is not shown here.`,
      },
    });
    await threads.markSeen(portal, id);
    deps.metrics?.mail('in', 'spam');
    return id;
  }
  const references = [...messageIdList(parsed.references), ...messageIdList(parsed.inReplyTo)];
  if (bounce) references.push(bounce.id);
  const thread: ThreadRecord | undefined = await threads.find(portal, { references, subject });
  const shown0 = mailBody(parsed);
  const body = withAuth(shown0, mail.auth);
  const intro = bounce && bounceIntro(bounce.sent);
  const shown = intro
    ? {
        text: `${intro.text}\n${body.text}`,
        formatted: [...intro.formatted, ...(body.formatted ?? splitLines(body.text))],
      }
    : thread
      ? { text: body.text, ...(body.formatted ? { formatted: body.formatted } : {}) }
      : rootContent(subject, body);
  const list = listPostAddress(parsed);
  if (list && listPortal) await deps.listRooms?.posted(portal, list);
  // A shortened text has the whole mail one click away, beside it.
  const files = await uploadAttachments(
    ctx,
    parsed.attachments,
    { portal, messageId: id },
    shown0.shortened ? mail.source : undefined,
  );
  const withMissing = (text: string) => (files.missing ? `${text}\n\n${files.missing}` : text);
  const content: MessageContent = {
    kind: isAutomatic(parsed) ? 'notice' : 'text',
    text: withMissing(shown.text),
    ...(shown.formatted
      ? {
          formatted: files.missing
            ? [...shown.formatted, ...splitLines(`\n\n${files.missing}`)]
            : shown.formatted,
        }
      : {}),
    // In a thread the files go with the message; a root keeps them for the next event, in its thread.
    ...(thread && files.attachments.length ? { attachments: files.attachments } : {}),
  };
  // The sender's Date, unless it claims the future.
  const timestamp =
    parsed.date && parsed.date.getTime() <= Date.now() ? { timestamp: parsed.date.getTime() } : {};
  const opts: EmitOptions = deps.gate ? { survives: 'process-crash' } : {};
  const emitted = [
    ctx.emit(
      {
        kind: 'message',
        portal,
        sender,
        id,
        content,
        ...(thread ? { thread: thread.root as RemoteMessageId } : {}),
        ...timestamp,
      },
      opts,
    ),
  ];
  if (!thread && files.attachments.length)
    emitted.push(
      ctx.emit(
        {
          kind: 'message',
          portal,
          sender,
          id: remoteMessageId(`${id}#attachments`),
          content: { kind: 'text', text: '', attachments: files.attachments },
          thread: id,
          ...timestamp,
        },
        opts,
      ),
    );
  // Marked bridged (the Message-ID dedupe) only once its events are stored.
  const { stored } = threads.stage(
    portal,
    thread,
    {
      id,
      subject,
      participants: participantsOf(parsed, deps.ownAddress),
      ...(list ? { list } : {}),
    },
    Promise.all(deps.gate ? [...emitted, deps.gate] : emitted),
  );
  const counted = stored.then(() => deps.metrics?.mail('in', bounce ? 'bounce' : 'bridged'));
  if (deps.defer) deps.defer(counted);
  else await counted;
  return id;
}
