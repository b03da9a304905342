/**
 * A Matrix message → the mail it becomes (pure: no network). In a mail's thread it is a reply
 * (`Re:` subject, In-Reply-To, References) to the thread's correspondents; at the top level it
 * starts a new mail, whose recipients it names in leading `To:` / `Cc:` lines (or the folder's
 * configured `to`), and whose subject is a leading `Subject:` line or else its first line.
 * Everything from Matrix that reaches a header goes through `addresses.ts` first: addresses
 * validated, names and subjects on one line, bounded.
 */
import { createHash } from 'node:crypto';
import { BridgeError, type MatrixMessage } from '../../../src/connector.js';
import { escapeHtml, inlineToHtml } from '../../../src/format/html.js';
import { domainOf, headerText, parseAddressList } from './addresses.js';
import type { FolderConfig, MailboxConfig } from '../config.js';
import { isMessageId } from '../ids.js';
import { replySubject, type ThreadRecord } from '../portals/threads.js';

export interface OutgoingMail {
  messageId: string;
  from: { name: string; address: string };
  replyTo: string;
  to: string[];
  cc: string[];
  subject: string;
  inReplyTo?: string;
  references: string[];
  text: string;
  html?: string;
}

const MAX_SUBJECT_CHARS = 200;
const MAX_NAME_CHARS = 100;
const HEADER_LINE = /^(to|cc|subject)\s*:\s*(.*)$/is;

const NEEDS_RECIPIENTS =
  'a new mail needs recipients: start the message with a line `To: name@example.org` ' +
  '(and `Subject: …` if you like), or answer in the thread of a mail';

/** The leading `To:`, `Cc:` and `Subject:` lines of a top-level message, and the rest. */
export function splitHeaderLines(text: string): {
  to: string[];
  cc: string[];
  subject?: string;
  body: string;
} {
  // Only LF (and CRLF) end a line: a lone CR stays in its line, where headerText folds it away.
  const lines = text.split(/\r?\n/);
  const out = { to: [] as string[], cc: [] as string[], subject: undefined as string | undefined };
  let i = 0;
  for (; i < lines.length; i++) {
    const m = HEADER_LINE.exec(lines[i]!);
    if (!m) break;
    const key = m[1]!.toLowerCase();
    const value = m[2]!;
    if (key === 'subject') out.subject = value;
    else {
      const { addresses, invalid } = parseAddressList(value);
      if (invalid.length)
        throw new BridgeError(
          'rejected',
          `not an email address: ${invalid.map((w) => JSON.stringify(headerText(w, 80))).join(', ')}`,
        );
      (key === 'to' ? out.to : out.cc).push(...addresses);
    }
  }
  const body = lines.slice(i).join('\n').replace(/^\n+/, '');
  return { ...out, body };
}

/** The mail a Matrix message becomes; throws a BridgeError the sender sees when it cannot be one. */
export function composeMail(opts: {
  msg: MatrixMessage;
  mailbox: Pick<MailboxConfig, 'address' | 'name'>;
  folder: Pick<FolderConfig, 'to'>;
  /** The thread it answers (undefined: a top-level message, a new mail). */
  thread?: ThreadRecord;
  maxBodyBytes: number;
}): OutgoingMail {
  const { msg, mailbox, folder, thread } = opts;
  const own = mailbox.address.toLowerCase();
  const senderName = headerText(msg.sender.displayName || msg.sender.userId, MAX_NAME_CHARS);
  const from = {
    name: headerText(`${senderName} (via ${mailbox.name})`, MAX_NAME_CHARS + 20),
    address: mailbox.address,
  };
  // From the Matrix event: a mail sent again for the same event (after a crash mid-submission, or
  // a 🔁 retry) carries the same Message-ID, which receiving servers and clients deduplicate on.
  const messageId = `<${createHash('sha256').update(`${msg.eventId} ${own}`).digest('hex').slice(0, 32)}@${domainOf(mailbox.address)}>`;
  let to: string[];
  let cc: string[] = [];
  let subject: string;
  let body: string;
  let inReplyTo: string | undefined;
  let references: string[] = [];
  if (thread) {
    // A list thread answers the list (whose members include the senders), else each correspondent.
    to = thread.list ? [thread.list] : thread.participants.filter((a) => a !== own);
    if (to.length === 0)
      throw new BridgeError('rejected', 'this thread has no correspondent to answer');
    subject = replySubject(thread.subject || '(no subject)');
    references = thread.references;
    inReplyTo = msg.replyTo && isMessageId(msg.replyTo) ? msg.replyTo : thread.references.at(-1);
    body = msg.content.text;
  } else {
    const lines = splitHeaderLines(msg.content.text);
    to = lines.to.length ? lines.to : folder.to.map((a) => a.toLowerCase());
    cc = lines.cc.filter((a) => !to.includes(a));
    if (to.length === 0) throw new BridgeError('rejected', NEEDS_RECIPIENTS);
    body = lines.body;
    subject = lines.subject ?? body.split('\n', 1)[0] ?? '';
  }
  subject = headerText(subject, MAX_SUBJECT_CHARS) || '(no subject)';
  const size = Buffer.byteLength(body, 'utf8');
  if (size > opts.maxBodyBytes)
    throw new BridgeError(
      'too-large',
      `the message is ${size} bytes; mail from Matrix takes at most ${opts.maxBodyBytes}`,
    );
  // Formatting only where the whole text is the body (a reply): a new mail's header lines are not.
  const html =
    thread && msg.content.formatted
      ? `<html><body>${inlineToHtml(msg.content.formatted)}</body></html>`
      : undefined;
  return {
    messageId,
    from,
    replyTo: mailbox.address,
    to,
    cc,
    subject,
    ...(inReplyTo ? { inReplyTo } : {}),
    references,
    text: body,
    ...(html ? { html } : { html: `<html><body>${plainHtml(body)}</body></html>` }),
  };
}

const plainHtml = (text: string) =>
  text
    .split('\n')
    .map((l) => escapeHtml(l))
    .join('<br>\n');
