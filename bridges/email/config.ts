/** The email bridge's own config keys (under `bridges.email`). See README.md. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isAddress } from './from-matrix/addresses.js';
import { isListId } from './portals/lists.js';

/** The text of a file named in the config (a password, a CA), read once, at config load. */
function readConfigFile(file: string): string {
  return readFileSync(file, 'utf8');
}

const fileProblem = (file: string, pem: boolean): string | undefined => {
  let text: string;
  try {
    text = readConfigFile(file);
  } catch (err) {
    return `cannot read ${file}: ${(err as Error).message}`;
  }
  if (pem && !text.includes('-----BEGIN CERTIFICATE-----'))
    return `${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`;
  if (!pem && text.trim() === '') return `${file} is empty (it must hold the password)`;
  return undefined;
};

const readableFile = (pem: boolean) =>
  z.string().superRefine((file, ctx) => {
    const problem = fileProblem(file, pem);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const port = z
  .number()
  .int()
  .min(1, 'must be a TCP port (1-65535)')
  .max(65535, 'must be a TCP port (1-65535)');

/**
 * How a connection is protected: `implicit` (TLS from the first byte: IMAPS 993, SMTPS 465),
 * `starttls` (plaintext upgraded, required), or `none` (plaintext: only for a server on loopback).
 */
const tlsMode = z.enum(['implicit', 'starttls', 'none'], {
  message: 'must be implicit, starttls or none',
});

/** A server login: the password in the config, or (better) in a file of its own. */
const login = {
  user: z.string().min(1, 'must be the login name').optional(),
  password: z.string().min(1, 'must be the password (or use password_file)').optional(),
  /** A file holding the password (trailing newline ignored). */
  password_file: readableFile(false).optional(),
};

const server = (defaultPort: number, defaultTls: 'implicit' | 'starttls') =>
  z
    .object({
      host: z.string().min(1, 'must be the server host name or address'),
      port: port.default(defaultPort),
      tls: tlsMode.default(defaultTls),
      /** A PEM file of CA certificates to trust (beside the system's), e.g. a self-signed server's. */
      ca_file: readableFile(true).optional(),
      ...login,
    })
    .strict()
    .refine((s) => !(s.password && s.password_file), {
      message: 'give password or password_file, not both',
    });

const address = z.string().refine(isAddress, 'must be an email address (name@domain)');

// Room v12 ids have no server part (`!abc`); older ones do (`!abc:example.org`).
const FOLDER_ROOM = /^![^\s:]+(:\S+)?$/;

/** The room of a folder, a list or a direct address: an existing one linked, or one the bridge makes. */
const roomFields = {
  /** An existing room (`!id:server`) to link; without it the bridge makes one. */
  room: z
    .string()
    .regex(FOLDER_ROOM, 'must be a room id (!opaque:server); leave it out to have a room made')
    .optional(),
  /** Who may join the room the bridge makes: `invite` (the invited users) or `public` (anyone). */
  join_rule: z
    .enum(['invite', 'public'], { message: 'must be invite or public' })
    .default('invite'),
  /** Matrix users invited when the bridge makes the room. */
  invite: z.array(z.string().regex(/^@.+:.+$/, 'must be Matrix user ids')).default([]),
};

/** Which senders' mail is bridged (from-mail/filters.ts). */
const senderFields = {
  /** Only mail from these senders (addresses, or `@domain`) is bridged; empty: everyone. */
  allow_senders: z.array(z.string().regex(/^\S*@\S+$/, 'must be addresses or @domain')).default([]),
  /** Mail from these senders (addresses, or `@domain`) is never bridged. */
  deny_senders: z.array(z.string().regex(/^\S*@\S+$/, 'must be addresses or @domain')).default([]),
};

export const folderSchema = z
  .object({
    /** The IMAP folder to watch (`INBOX`, `Lists/dev`). */
    folder: z.string().min(1, 'must name an IMAP folder (INBOX, say)'),
    ...roomFields,
    /** Recipients of a new mail started by a top-level room message without a `To:` line. */
    to: z.array(address).default([]),
  })
  .strict();

/** A room for a mailing list (by its List-Id), whichever watched folder its mail lands in. */
export const listSchema = z
  .object({
    /** The list's id, as its `List-Id` header has it in angle brackets (`dev.lists.example.org`). */
    list_id: z
      .string()
      .transform((id) => id.toLowerCase())
      .refine(isListId, 'must be a list id as in List-Id: <dev.lists.example.org> (without <>)'),
    ...roomFields,
  })
  .strict();

const MAILBOX_ID = /^[a-z0-9-]{1,32}$/;

export const mailboxSchema = z
  .object({
    /** The mailbox's own address: mail from Matrix is sent from it. */
    address,
    /** The display name beside Matrix senders' names: `Alice (via <name>) <address>`. */
    name: z.string().min(1).max(100).default('Matrix'),
    imap: server(993, 'implicit'),
    /** SMTP submission of mail from Matrix; without it the bridge is read-only. */
    smtp: server(587, 'starttls').optional(),
    /** Save a copy of each mail sent from Matrix to this folder (IMAP APPEND), e.g. `Sent`. */
    sent_folder: z.string().min(1).optional(),
    folders: z.array(folderSchema).min(1, 'must list at least one folder to watch'),
    /** Mailing lists with rooms of their own: their mail (in any watched folder) goes there. */
    lists: z.array(listSchema).default([]),
    ...senderFields,
  })
  .strict()
  .refine((m) => m.imap.user && (m.imap.password || m.imap.password_file), {
    message: 'imap needs user and password (or password_file)',
    path: ['imap'],
  })
  .refine((m) => new Set(m.folders.map((f) => f.folder)).size === m.folders.length, {
    message: 'a folder is listed twice',
    path: ['folders'],
  });

/** A room of the direct mode: mail to `<localpart>@<direct.domain>` lands in it. */
export const directRoomSchema = z
  .object({
    ...roomFields,
    /** Recipients of a new mail started by a top-level room message without a `To:` line. */
    to: z.array(address).default([]),
    ...senderFields,
  })
  .strict();

export const DIRECT_LOCALPART = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * The direct mode: an SMTP listener that is the MX of a bridge domain. SPF, DKIM and DMARC are
 * checked (mailauth) and the verdict shown with each mail.
 */
export const directSchema = z
  .object({
    /** The bridge's mail domain (its MX record points at this host): `rooms` are its addresses. */
    domain: z
      .string()
      .transform((d) => d.toLowerCase())
      .refine((d) => HOST_NAME.test(d), 'must be a domain name (mail.example.org)'),
    /** Where the SMTP listener listens (port 25 for an MX; `0.0.0.0` for every address). */
    host: z.string().min(1).default('0.0.0.0'),
    port: port.default(25),
    /** A PEM certificate and key for STARTTLS (offered only when both are set). */
    tls_cert_file: readableFile(true).optional(),
    tls_key_file: z.string().min(1).optional(),
    /** Refuse (550) mail whose DMARC check fails under a `p=reject` policy. */
    dmarc_reject: z.boolean().default(true),
    /** Recipients one mail may have. */
    max_recipients: z.number().int().min(1).max(1000).default(50),
    /** Shown after senders' names in mail from Matrix: `Alice (via <name>)`. */
    name: z.string().min(1).max(100).default('Matrix'),
    /** Submission for answers from Matrix (as for a mailbox); without it the rooms are read-only. */
    smtp: server(587, 'starttls').optional(),
    /** The rooms, by the local part of their address (`team` → `team@<domain>`, `#email_team`). */
    rooms: z.record(z.string(), directRoomSchema).superRefine((rooms, ctx) => {
      for (const id of Object.keys(rooms))
        if (!DIRECT_LOCALPART.test(id))
          ctx.addIssue({
            code: 'custom',
            message: `room address ${JSON.stringify(id)} must be a lowercase local part (a-z 0-9 . _ -, at most 64)`,
            path: [id],
          });
    }),
  })
  .strict()
  .refine((d) => !d.tls_cert_file === !d.tls_key_file, {
    message: 'give both tls_cert_file and tls_key_file (or neither)',
  });

/**
 * Users' own mailboxes (`email login <address> <password>`), all on one mail server: its IMAP (and
 * SMTP submission) without a login here; each user's login is theirs.
 */
export const loginsSchema = z
  .object({
    imap: server(993, 'implicit'),
    smtp: server(587, 'starttls').optional(),
    /** The login name: the whole address (`address`) or its local part (`localpart`). */
    username: z
      .enum(['address', 'localpart'], { message: 'must be address or localpart' })
      .default('address'),
    /** Addresses of these domains only (empty: any). */
    domains: z.array(z.string().transform((d) => d.toLowerCase())).default([]),
    /** The folders bridged for each user, each a room of theirs. */
    folders: z.array(z.string().min(1)).min(1).default(['INBOX']),
    sent_folder: z.string().min(1).optional(),
  })
  .strict();

export const emailConfigSchema = z
  .object({
    /** The mailboxes to bridge, by id (`a-z 0-9 -`, used in room aliases and logs). */
    mailboxes: z
      .record(z.string(), mailboxSchema)
      .superRefine((boxes, ctx) => {
        for (const id of Object.keys(boxes))
          if (!MAILBOX_ID.test(id))
            ctx.addIssue({
              code: 'custom',
              message: `mailbox id ${JSON.stringify(id)} must be 1 to 32 of a-z 0-9 -`,
              path: [id],
            });
      })
      .default({}),
    /** Mails larger than this (bytes) are not fetched: the room gets a notice instead. */
    max_mail_bytes: z
      .number()
      .int()
      .min(1024)
      .default(25 * 1024 * 1024),
    /** The longest text a mail from Matrix may have (UTF-8 bytes). */
    max_body_bytes: z
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024)
      .default(256 * 1024),
    /** On a folder's very first start: bridge its latest N mails (0: only mail that comes later). */
    first_start_backfill: z.number().int().min(0).max(1000).default(0),
    /** Wait this long in an idle IMAP connection before IDLE (imapflow's autoIdleDelay). */
    idle_delay_ms: z.number().int().min(0).max(60_000).default(100),
    /**
     * How long after a mail from Matrix left a delivery report (DSN) about it still fails its
     * Matrix event (the sender sees "not delivered"); later reports come as notices. 0: never.
     */
    bounce_wait_ms: z.number().int().min(0).max(600_000).default(60_000),
    /** Retries of mail the submission server did not take for now (the outbox). */
    send_retry: z
      .object({
        /** The first wait; it doubles from try to try. */
        first_ms: z.number().int().min(100).max(3_600_000).default(30_000),
        /** The longest wait between tries. */
        max_ms: z.number().int().min(100).max(86_400_000).default(3_600_000),
        /** Give up (and tell the sender) after this long. */
        give_up_after_ms: z
          .number()
          .int()
          .min(1000)
          .max(30 * 86_400_000)
          .default(2 * 86_400_000),
      })
      .strict()
      .default({ first_ms: 30_000, max_ms: 3_600_000, give_up_after_ms: 2 * 86_400_000 }),
    /** Users' own mailboxes by `email login`; off when absent. */
    logins: loginsSchema.optional(),
    /** The direct mode (an SMTP listener as the MX of a bridge domain); off when absent. */
    direct: directSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Both are `#email_<id>`: one alias, one room.
    for (const id of Object.keys(c.direct?.rooms ?? {}))
      if (id in c.mailboxes)
        ctx.addIssue({
          code: 'custom',
          message: `${JSON.stringify(id)} is a mailbox id too: both would be #email_${id}; rename one`,
          path: ['direct', 'rooms', id],
        });
  });

export type EmailConfig = z.infer<typeof emailConfigSchema>;
export type MailboxConfig = z.infer<typeof mailboxSchema>;
export type FolderConfig = z.infer<typeof folderSchema>;
export type ListConfig = z.infer<typeof listSchema>;
export type ServerConfig = MailboxConfig['imap'];
export type DirectConfig = z.infer<typeof directSchema>;
export type LoginsConfig = z.infer<typeof loginsSchema>;
export type DirectRoomConfig = z.infer<typeof directRoomSchema>;

/** The password of a server login: from the config or its file. */
export function passwordOf(s: {
  password?: string | undefined;
  password_file?: string | undefined;
}) {
  if (s.password) return s.password;
  if (s.password_file) return readConfigFile(s.password_file).replace(/\r?\n$/, '');
  return undefined;
}

/** The CA certificates of a server, or undefined for the system's. */
export const caOf = (s: { ca_file?: string | undefined }) =>
  s.ca_file ? readConfigFile(s.ca_file) : undefined;
