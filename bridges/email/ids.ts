/**
 * Email ids ↔ the connector's typed ids.
 * - Portal: a watched folder of a configured mailbox, `<mailbox id>/<folder>` (`support/INBOX`).
 *   Mailbox ids are `a-z 0-9 -`, so the first `/` ends it; the folder is the rest, as IMAP names it.
 * - Remote user: a correspondent's address, lowercased (`alice@example.org`). Core escapes it into
 *   the ghost's localpart reversibly (`=hh` per UTF-8 byte of anything but `a-z 0-9 . _ = - /`), so
 *   the ghost is `@email_alice=40example.org:<domain>`; `ghostAddress` undoes it.
 * - Message: its Message-ID as the mail has it, angle brackets included (`<abc@example.org>`); a
 *   mail without one gets `uid:<portal>/<uidvalidity>/<uid>`, unique within the portal.
 */
import {
  portalKey,
  remoteMessageId,
  remoteUserId,
  type PortalKey,
  type RemoteMessageId,
  type RemoteUserId,
} from '../../src/connector.js';
import { isAddress, normalizeAddress } from './from-matrix/addresses.js';

const MAILBOX = /^[a-z0-9-]{1,32}$/;

export function makePortalKey(mailbox: string, folder: string): PortalKey {
  return portalKey(`${mailbox}/${folder}`);
}

/** A room of the direct mode: `direct:<local part>` (no `/`, so never a mailbox folder's key). */
export const makeDirectPortalKey = (localpart: string): PortalKey =>
  portalKey(`direct:${localpart}`);

export function parsePortalKey(key: string): { mailbox: string; folder: string } | undefined {
  const slash = key.indexOf('/');
  const mailbox = key.slice(0, slash);
  const folder = key.slice(slash + 1);
  return slash > 0 && MAILBOX.test(mailbox) && folder.length > 0 ? { mailbox, folder } : undefined;
}

/** A correspondent: their address, lowercased. */
export const makeRemoteUser = (address: string): RemoteUserId =>
  remoteUserId(normalizeAddress(address));

/** The address behind a remote user id (undefined for one that is not an address). */
export const remoteUserAddress = (id: string): string | undefined =>
  isAddress(id) ? id : undefined;

/** `<id@host>`: a Message-ID in its one stored form (whitespace and folding removed). */
export function normalizeMessageId(raw: string): string | undefined {
  const inner = raw.trim().replace(/^<|>$/g, '').replace(/\s+/g, '');
  if (!inner || inner.length > 995 || /[<>\x00-\x1f]/.test(inner)) return undefined;
  return `<${inner}>`;
}

export function mailMessageId(
  messageId: string | undefined,
  portal: PortalKey,
  uidValidity: bigint | number,
  uid: number,
): RemoteMessageId {
  const id = messageId && normalizeMessageId(messageId);
  return remoteMessageId(id ?? `uid:${portal}/${uidValidity}/${uid}`);
}

/** Whether a remote message id is a real Message-ID (that mail headers may name). */
export const isMessageId = (id: string): boolean => id.startsWith('<');

/** The Message-IDs a References or In-Reply-To header names, oldest first. */
export function messageIdList(header: string | string[] | undefined): string[] {
  const text = Array.isArray(header) ? header.join(' ') : (header ?? '');
  const ids: string[] = [];
  for (const m of text.matchAll(/<[^<>\s]+>/g)) {
    const id = normalizeMessageId(m[0]);
    if (id && !ids.includes(id)) ids.push(id);
  }
  return ids;
}
