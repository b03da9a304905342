/**
 * The email bridge's portals, each a room: a watched folder of a mailbox (`<mailbox>/<folder>`), a
 * mailing list of a mailbox (`list:<mailbox>:<list id>`), or an address of the direct mode
 * (`direct:<local part>`). Folders come from the config only; lists and direct addresses from the
 * config, or linked to an existing room by core's `link email <remote id> <room id>` command or the
 * provisioning API (by bridge admins, or users with power level ≥ 50 in the room).
 */
import type { PortalInfo, PortalKey } from '../../../src/connector.js';
import {
  DIRECT_LOCALPART,
  type DirectRoomConfig,
  type EmailConfig,
  type FolderConfig,
  type ListConfig,
  type MailboxConfig,
} from '../config.js';
import { makeDirectPortalKey, makePortalKey } from '../ids.js';
import { makeListPortalKey, parseListPortalKey } from './lists.js';

export interface Portal {
  key: PortalKey;
  /** The mailbox id (a list's too), or `direct:<local part>` for an address of the direct mode. */
  mailboxId: string;
  /** Who mail from Matrix is from. */
  mailbox: Pick<MailboxConfig, 'address' | 'name'>;
  /** Recipients of a new mail without a `To:` line (a list room: the list, once learned). */
  folder: { to: string[] };
  info: PortalInfo;
  /** Made from the config (kept when unlinked: the next start makes its room again). */
  fromConfig: boolean;
}

const ANSWER =
  'Answer a mail in its thread; start a new mail with a first line "To: name@example.org".';

const roomOptions = (c: {
  join_rule: 'invite' | 'public';
  invite: string[];
  room?: string | undefined;
}) => ({
  joinRule: c.join_rule,
  ...(c.invite.length ? { invite: c.invite as PortalInfo['invite'] } : {}),
  ...(c.room ? { roomId: c.room as PortalInfo['roomId'] } : {}),
});

export function folderPortal(
  mailboxId: string,
  mailbox: MailboxConfig,
  folder: FolderConfig,
): Portal {
  const key = makePortalKey(mailboxId, folder.folder);
  return {
    key,
    mailboxId,
    mailbox,
    folder,
    fromConfig: true,
    info: {
      key,
      name: `${mailbox.address} · ${folder.folder}`,
      topic: `Mail of ${mailbox.address} (${folder.folder}). ${ANSWER}`,
      ...roomOptions(folder),
    },
  };
}

export function listPortal(
  mailboxId: string,
  mailbox: MailboxConfig,
  listId: string,
  config?: ListConfig,
): Portal {
  const key = makeListPortalKey(mailboxId, listId);
  return {
    key,
    mailboxId,
    mailbox,
    folder: { to: [] },
    fromConfig: config !== undefined,
    info: {
      key,
      name: `${listId} (list)`,
      topic: `The mailing list ${listId}, as ${mailbox.address} receives it. ${ANSWER.replace('"To: name@example.org"', 'a subject')}`,
      ...roomOptions(config ?? { join_rule: 'invite', invite: [] }),
    },
  };
}

export function directPortal(
  domain: string,
  name: string,
  localpart: string,
  room?: DirectRoomConfig,
): Portal {
  const key = makeDirectPortalKey(localpart);
  const address = `${localpart}@${domain}`;
  return {
    key,
    mailboxId: `direct:${localpart}`,
    mailbox: { address, name },
    folder: room ?? { to: [] },
    fromConfig: room !== undefined,
    info: {
      key,
      name: address,
      topic: `Mail to ${address} (each sender's SPF, DKIM and DMARC checked and shown). ${ANSWER}`,
      ...roomOptions(room ?? { join_rule: 'invite', invite: [] }),
    },
  };
}

/**
 * The portal a remote id names for a link (`list:<mailbox>:<list id>`, `direct:<local part>`), or
 * why it cannot be linked (a message for the user).
 */
export function linkablePortal(config: EmailConfig, key: string): Portal | string {
  const list = parseListPortalKey(key);
  if (list) {
    const mailbox = config.mailboxes[list.mailbox];
    if (!mailbox)
      return `there is no mailbox "${list.mailbox}" in the bridge config (the mailboxes: ${Object.keys(config.mailboxes).join(', ') || 'none'})`;
    return listPortal(list.mailbox, mailbox, list.listId);
  }
  if (key.startsWith('direct:')) {
    const localpart = key.slice('direct:'.length);
    const direct = config.direct;
    if (!direct) return 'the direct mode is off (no `direct` in the bridge config)';
    if (!DIRECT_LOCALPART.test(localpart) || localpart in config.mailboxes)
      return `"${localpart}" cannot be an address of the direct mode (a-z 0-9 . _ -, not a mailbox id)`;
    return directPortal(direct.domain, direct.name, localpart);
  }
  return `the email bridge links a room to a mailing list (list:<mailbox id>:<list id>, the id in the List-Id header's <>) or to an address of the direct mode (direct:<local part>), not to "${key}"`;
}
