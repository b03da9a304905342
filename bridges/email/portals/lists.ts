/**
 * Rooms linked to a mailing list by its `List-Id` (RFC 2919) rather than by folder: the remote id
 * `list:<mailbox id>:<list id>` (`list:team:dev.lists.example.org`), from the config (a mailbox's
 * `lists`), core's `link email …` command or the provisioning API. A mail of that list arriving in
 * any watched folder of that mailbox goes to the list's room (not the folder's); answers go to the
 * list's posting address (`List-Post`), learned from its mails and kept in the key-value store.
 */
import type { ParsedMail } from 'mailparser';
import { portalKey, type KeyValueStore, type PortalKey } from '../../../src/connector.js';

/** A list id: a dot-atom (RFC 2919), lowercased. */
const LIST_ID = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)+$/;
const MAILBOX = /^[a-z0-9-]{1,32}$/;

export const isListId = (id: string): boolean => id.length <= 255 && LIST_ID.test(id);

export const makeListPortalKey = (mailbox: string, listId: string): PortalKey =>
  portalKey(`list:${mailbox}:${listId.toLowerCase()}`);

export function parseListPortalKey(key: string): { mailbox: string; listId: string } | undefined {
  const m = /^list:([^:]+):(.+)$/.exec(key);
  if (!m || !MAILBOX.test(m[1]!) || !isListId(m[2]!)) return undefined;
  return { mailbox: m[1]!, listId: m[2]! };
}

/** The list id a mail carries (`List-Id: Dev list <dev.lists.example.org>`), lowercased. */
export function listIdOf(mail: Pick<ParsedMail, 'headerLines'>): string | undefined {
  const line = mail.headerLines.find((h) => h.key === 'list-id')?.line;
  if (!line) return undefined;
  const value = line.slice(line.indexOf(':') + 1).trim();
  const id = (/<([^<>\s]+)>/.exec(value)?.[1] ?? value).toLowerCase();
  return isListId(id) ? id : undefined;
}

/** Where list mail goes, and what the bridge learned of each list room. */
export interface ListRooms {
  /** The room of a list in a mailbox, when one is linked. */
  portalFor(mailboxId: string, listId: string): PortalKey | undefined;
  /** A list mail named its posting address: new mails from the room go there. */
  posted(portal: PortalKey, address: string): Promise<void>;
}

const postKey = (portal: PortalKey) => `lp:${portal}`;

export const loadListPost = (kv: KeyValueStore, portal: PortalKey) =>
  kv.get<string>(postKey(portal));
export const saveListPost = (kv: KeyValueStore, portal: PortalKey, address: string) =>
  kv.set(postKey(portal), address);
