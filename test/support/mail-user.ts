// The mail side of the email bridge's integration tests: the real Dovecot (IMAP + LMTP) and
// OpenSMTPD that test/run.sh starts (test/peers/mail.sh), with nodemailer sending as a mail user
// and imapflow + mailparser reading a user's mailbox, and the bridge started against them.
import { randomBytes } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { simpleParser, type ParsedMail } from 'mailparser';
import { createTransport } from 'nodemailer';
import { EmailConnector } from '../../bridges/email/index.js';
import type { AnyConnector } from '../../src/core/bridge-runtime.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { startBridge } from './bridge-harness.js';
import { waitFor } from './synapse.js';

export interface MailEnv {
  imapPort: number;
  lmtpPort: number;
  smtpPort: number;
  /** Dovecot's IMAPS (implicit TLS, a self-signed certificate) and that certificate, the CA to trust. */
  imapsPort: number;
  ca: string;
}

/** The mail servers' ports; a clear error outside `npm test` (never a silent skip). */
export function requireMail(): MailEnv {
  const port = (name: string) => {
    const v = Number(process.env[name]);
    if (!v)
      throw new Error(
        `${name} is not set: the mail servers are not running. Run \`npm test\` (test/run.sh starts Dovecot and OpenSMTPD)`,
      );
    return v;
  };
  return {
    imapPort: port('SWITCHBOARD_TEST_MAIL_IMAP_PORT'),
    lmtpPort: port('SWITCHBOARD_TEST_MAIL_LMTP_PORT'),
    smtpPort: port('SWITCHBOARD_TEST_MAIL_SMTP_PORT'),
    imapsPort: port('SWITCHBOARD_TEST_MAIL_IMAPS_PORT'),
    ca: process.env.SWITCHBOARD_TEST_MAIL_CA ?? '',
  };
}

export const tag = () => randomBytes(4).toString('hex');

/** An IMAP session of a mail user (alice, bob or bridge; password `<user>pw`). */
export async function imapUser(user: string): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: requireMail().imapPort,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass: `${user}pw` },
    logger: false,
    disableAutoIdle: true,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Makes a folder for `user` (mail to `user+folder@localhost` then lands in it). */
export async function createFolder(user: string, folder: string): Promise<void> {
  const client = await imapUser(user);
  try {
    await client.mailboxCreate(folder);
  } finally {
    await client.logout();
  }
}

/** Every mail in a user's folder, parsed, oldest first. */
export async function mailsIn(user: string, folder = 'INBOX'): Promise<ParsedMail[]> {
  const client = await imapUser(user);
  try {
    const box = await client.mailboxOpen(folder).catch(() => undefined);
    if (!box || box.exists === 0) return [];
    const out: ParsedMail[] = [];
    for (const m of await client.fetchAll('1:*', { uid: true, source: true }))
      if (m.source) out.push(await simpleParser(m.source));
    return out;
  } finally {
    await client.logout();
  }
}

/** Waits for a mail in a user's folder that `match` accepts. */
export const waitForMail = (
  user: string,
  match: (m: ParsedMail) => boolean,
  what: string,
  folder = 'INBOX',
  timeoutMs = 20_000,
) =>
  waitFor(
    async () => (await mailsIn(user, folder)).find(match),
    timeoutMs,
    `${what} in ${user}'s ${folder}`,
    200,
  );

type SendOptions = Parameters<ReturnType<typeof createTransport>['sendMail']>[0];

/**
 * A mail user sends through OpenSMTPD (SMTP → LMTP → Dovecot); resolves with its Message-ID. The
 * MTA's queue may deliver mails sent close together in another order: `lmtp` hands the mail to
 * Dovecot straight away instead, so it is in the folder (in that order) when this resolves.
 */
export async function sendMail(mail: SendOptions, opts: { lmtp?: boolean } = {}): Promise<string> {
  const { smtpPort, lmtpPort } = requireMail();
  const transport = createTransport({
    host: '127.0.0.1',
    port: opts.lmtp ? lmtpPort : smtpPort,
    ...(opts.lmtp ? { lmtp: true } : {}),
    secure: false,
    ignoreTLS: true,
  });
  try {
    const info = await transport.sendMail(mail);
    return info.messageId;
  } finally {
    transport.close();
  }
}

/** Hands a raw message (as another server made it) to Dovecot over LMTP for `to`. */
export async function deliverRaw(to: string, raw: string): Promise<void> {
  const transport = createTransport({
    host: '127.0.0.1',
    port: requireMail().lmtpPort,
    lmtp: true,
    ignoreTLS: true, // Dovecot offers STARTTLS with a self-signed certificate; loopback, like a local MTA
  });
  try {
    await transport.sendMail({ envelope: { from: '', to: [to] }, raw });
  } finally {
    transport.close();
  }
}

/** A mailbox section of the bridge config for the test user `bridge`, watching `folders`. */
export function bridgeMailbox(
  folders: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
) {
  const { imapPort, smtpPort } = requireMail();
  return {
    address: 'bridge@localhost',
    name: 'Team',
    imap: { host: '127.0.0.1', port: imapPort, tls: 'none', user: 'bridge', password: 'bridgepw' },
    // OpenSMTPD offers AUTH only over TLS: the tests submit without AUTH on its loopback listener.
    smtp: { host: '127.0.0.1', port: smtpPort, tls: 'none' },
    folders,
    ...extra,
  };
}

/** Switchboard with the email bridge (and only it), the mailboxes given. */
export function startEmailBridge(
  mailboxes: Record<string, unknown>,
  opts: {
    database?: string;
    connector?: EmailConnector;
    provisioningSecret?: string;
    /** More keys of the bridge config (`bounce_wait_ms`, …). */
    extra?: Record<string, unknown>;
  } = {},
): Promise<Switchboard> {
  return startBridge({
    ...(opts.database ? { database: opts.database } : {}),
    ...(opts.provisioningSecret ? { provisioningSecret: opts.provisioningSecret } : {}),
    connectors: [(opts.connector ?? new EmailConnector()) as AnyConnector],
    bridges: { email: { enabled: true, bounce_wait_ms: 0, ...opts.extra, mailboxes } },
  });
}
