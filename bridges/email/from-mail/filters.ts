/**
 * Which incoming mails reach the room: a mailbox's allow and deny lists (addresses, or `@domain`
 * for a whole domain), and the mail server's spam verdict (SpamAssassin's `X-Spam-Flag` /
 * `X-Spam-Status`, rspamd's `X-Spam`): spam shows as a one-line notice naming sender and subject,
 * never its body or attachments.
 */
import type { ParsedMail } from 'mailparser';

export type Verdict = 'bridge' | 'denied' | 'spam';

const matches = (address: string, entry: string) => {
  const e = entry.trim().toLowerCase();
  return e.startsWith('@') ? address.endsWith(e) : address === e;
};

/** Whether a sender may reach the room (an empty allow list allows everyone not denied). */
export function senderAllowed(address: string, allow: string[], deny: string[]): boolean {
  if (deny.some((e) => matches(address, e))) return false;
  return allow.length === 0 || allow.some((e) => matches(address, e));
}

export function isSpam(mail: ParsedMail): boolean {
  const header = (name: string) =>
    String(mail.headers.get(name) ?? '')
      .trim()
      .toLowerCase();
  return (
    header('x-spam-flag') === 'yes' ||
    header('x-spam-status').startsWith('yes') ||
    header('x-spam') === 'yes'
  );
}

export function verdict(
  mail: ParsedMail,
  sender: string,
  lists: { allow_senders: string[]; deny_senders: string[] },
): Verdict {
  if (!senderAllowed(sender, lists.allow_senders, lists.deny_senders)) return 'denied';
  return isSpam(mail) ? 'spam' : 'bridge';
}
