/**
 * How the bridge reaches a mailbox's servers: ImapFlow and nodemailer options from the config
 * (TLS with certificate checks always; a configured CA is trusted beside the system's), and the
 * jittered backoff between reconnects.
 */
import type { ImapFlowOptions } from 'imapflow';
import type { SMTPTransportOptions } from 'nodemailer/lib/smtp-transport';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import {
  caOf,
  passwordOf,
  type EmailConfig,
  type MailboxConfig,
  type ServerConfig,
} from '../config.js';

/** TLS options: the configured CA beside the system's, checks on (never turned off here). */
function tlsOptions(server: ServerConfig) {
  const ca = caOf(server);
  return {
    // SNI takes host names only (RFC 6066); an address is checked against the certificate's IP SANs.
    ...(isIP(server.host) ? {} : { servername: server.host }),
    rejectUnauthorized: true,
    ...(ca ? { ca: [...rootCertificates, ca] } : {}),
  };
}

export function imapOptions(
  mailbox: Pick<MailboxConfig, 'imap'>,
  config: EmailConfig,
): ImapFlowOptions {
  const { imap } = mailbox;
  return {
    host: imap.host,
    port: imap.port,
    secure: imap.tls === 'implicit',
    // starttls: required (a server without it is refused); none: never (a loopback server).
    doSTARTTLS: imap.tls === 'starttls',
    tls: tlsOptions(imap),
    auth: { user: imap.user!, pass: passwordOf(imap)! },
    logger: false,
    autoIdleDelay: config.idle_delay_ms,
    // Bounds what a broken or hostile server can make the bridge hold.
    maxLiteralSize: Math.max(config.max_mail_bytes * 2, 1024 * 1024),
    connectionTimeout: 30_000,
    greetingTimeout: 16_000,
  } as ImapFlowOptions;
}

export function smtpOptions(
  mailbox: Pick<MailboxConfig, 'smtp'>,
): SMTPTransportOptions | undefined {
  const smtp = mailbox.smtp;
  if (!smtp) return undefined;
  const pass = passwordOf(smtp);
  return {
    host: smtp.host,
    port: smtp.port,
    secure: smtp.tls === 'implicit',
    requireTLS: smtp.tls === 'starttls',
    ignoreTLS: smtp.tls === 'none',
    tls: tlsOptions(smtp),
    ...(smtp.user && pass ? { auth: { user: smtp.user, pass } } : {}),
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

/** The wait before reconnect attempt `n` (0-based): 1 s doubling to 60 s, ±30 % jitter. */
export function backoffMs(n: number, random = Math.random): number {
  const base = Math.min(60_000, 1000 * 2 ** Math.min(n, 10));
  return Math.round(base * (0.7 + 0.6 * random()));
}
