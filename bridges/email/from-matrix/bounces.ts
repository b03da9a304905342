/**
 * Bounces of mail sent from Matrix. The bridge remembers each mail it sent (`o:<mailbox>:<id>` in
 * its key-value store: the portal, the Matrix sender, the subject). A delivery report
 * (`multipart/report`) naming one of them comes back as a notice in that mail's thread (in the
 * room the mail was sent from, whichever folder the report landed in) that mentions the sender.
 */
import type { ParsedMail } from 'mailparser';
import type { Inline, KeyValueStore, PortalKey } from '../../../src/connector.js';
import { messageIdList } from '../ids.js';

export interface SentRecord {
  portal: PortalKey;
  /** The Matrix user who sent it. */
  sender: string;
  subject: string;
}

const sentKey = (mailboxId: string, messageId: string) => `o:${mailboxId}:${messageId}`;

export const rememberSent = (kv: KeyValueStore, mailboxId: string, id: string, r: SentRecord) =>
  kv.set(sentKey(mailboxId, id), r);

export const sentRecord = (kv: KeyValueStore, mailboxId: string, id: string) =>
  kv.get<SentRecord>(sentKey(mailboxId, id));

/** At most this many Message-IDs of a report are looked up (a report quotes one mail's headers). */
const IDS_LOOKED_AT = 10;

/** The mail from Matrix a delivery report is about, if it is one. */
export async function bouncedMail(
  kv: KeyValueStore,
  mailboxId: string,
  mail: ParsedMail,
  source: Buffer,
): Promise<{ id: string; sent: SentRecord } | undefined> {
  const type = mail.headers.get('content-type') as { value?: string } | undefined;
  if (type?.value !== 'multipart/report') return undefined;
  // The returned headers (text/rfc822-headers or message/rfc822) name the original's Message-ID.
  const text = source.toString('utf8', 0, Math.min(source.length, 256 * 1024));
  const lines = [...text.matchAll(/^message-id:[ \t]*(<[^>\s]+>)/gim)].map((m) => m[1]!);
  for (const id of messageIdList(lines.join(' ')).slice(0, IDS_LOOKED_AT)) {
    const sent = await sentRecord(kv, mailboxId, id);
    if (sent) return { id, sent };
  }
  return undefined;
}

/** The start of the bounce notice: the sender, mentioned, told their mail was not delivered. */
export function bounceIntro(sent: SentRecord): { text: string; formatted: Inline[] } {
  const what = `your mail “${sent.subject}” was not delivered:`;
  return {
    text: `${sent.sender}: ${what}`,
    formatted: [
      { style: 'mention', userId: sent.sender, children: [sent.sender] },
      `: ${what}`,
      { style: 'linebreak' },
    ],
  };
}

/** Why a delivery report says the mail failed: its Diagnostic-Code, else its Status (RFC 3464). */
export function bounceReason(source: Buffer): string {
  const text = source.toString('utf8', 0, Math.min(source.length, 256 * 1024));
  const line = (name: string) =>
    new RegExp(`^${name}:[ \\t]*(.+)$`, 'im')
      .exec(text)?.[1]
      ?.replace(/[\x00-\x1f]+/g, ' ')
      .trim();
  const diagnostic = line('diagnostic-code');
  const status = line('status');
  const reason = diagnostic ?? (status ? `status ${status}` : 'a delivery report came back');
  return reason.length > 300 ? `${reason.slice(0, 300)}…` : reason;
}
