/**
 * The direct mode: an SMTP listener (smtp-server) that is the MX of the bridge domain. Mail to
 * `<room>@<domain>` (a `+detail` is ignored) lands in that room; any other recipient is refused at
 * RCPT (550), a mail over `max_mail_bytes` at MAIL FROM (SIZE) or after DATA (552). Each mail's
 * sender is checked (SPF, DKIM, DMARC by mailauth) and the verdict is shown above its text; one
 * that fails DMARC under a `p=reject` policy is refused (`dmarc_reject`). The 250 comes only after
 * the mail is stored for Matrix (`ctx.emit`), so an accepted mail is never lost.
 */
import { readFileSync } from 'node:fs';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import type { Readable } from 'node:stream';
import type { DNSResolver } from 'mailauth';
import type { BridgeContext, PortalKey } from '../../../src/connector.js';
import type { DirectConfig, EmailConfig } from '../config.js';
import { checkSender, verdictLine } from './direct-auth.js';
import { bridgeMail, type FromMailDeps } from '../from-mail/from-mail.js';
import type { EmailMetrics } from '../mailboxes/metrics.js';
import type { Threads } from '../portals/threads.js';

/** A room that mail to one address of the bridge domain lands in. */
export interface DirectTarget {
  portal: PortalKey;
  /** The pseudo mailbox id of the room (sent mail and bounces are remembered under it). */
  mailboxId: string;
  address: string;
  allow_senders: string[];
  deny_senders: string[];
}

export interface DirectDeps {
  ctx: BridgeContext<EmailConfig>;
  config: DirectConfig;
  threads: Threads;
  metrics: EmailMetrics;
  ghostNames: Map<string, string>;
  /** The room of a local part of the bridge domain (lowercased, without `+detail`), if any. */
  target(localpart: string): DirectTarget | undefined;
  /** A delivery report about a mail from Matrix came in. */
  bounced?: (messageId: string, reason: string) => void;
  /** mailauth's `resolver` option (the system's DNS when absent). */
  resolver?: DNSResolver | undefined;
}

const smtpError = (code: number, message: string) =>
  Object.assign(new Error(message), { responseCode: code });

/** `::ffff:127.0.0.1` → `127.0.0.1` (SPF compares IPv4 records with IPv4 addresses). */
const plainIp = (ip: string) => ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');

export class DirectServer {
  private server?: SMTPServer;
  /** Makes uid-style ids of mails without a Message-ID unique across restarts. */
  private readonly epoch = BigInt(Date.now());
  private received = 0;

  constructor(private readonly deps: DirectDeps) {}

  private get log() {
    return this.deps.ctx.log.child({ direct: this.deps.config.domain });
  }

  /** The local part a recipient names, when it is an address of the bridge domain. */
  localpartOf(address: string): string | undefined {
    const a = address.trim().toLowerCase();
    const at = a.lastIndexOf('@');
    if (at <= 0 || a.slice(at + 1) !== this.deps.config.domain) return undefined;
    return a.slice(0, at).replace(/\+.*$/, '');
  }

  async start(): Promise<number> {
    const { config, ctx } = this.deps;
    const tls =
      config.tls_cert_file && config.tls_key_file
        ? {
            cert: readFileSync(config.tls_cert_file),
            key: readFileSync(config.tls_key_file),
          }
        : undefined;
    const server = new SMTPServer({
      name: config.domain,
      banner: 'Switchboard',
      size: ctx.config.max_mail_bytes,
      authOptional: true,
      disabledCommands: tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
      ...(tls ?? {}),
      disableReverseLookup: true,
      logger: false,
      maxClients: 100,
      socketTimeout: 60_000,
      onRcptTo: (address, session, cb) => this.onRcptTo(address, session, cb),
      onData: (stream, session, cb) => {
        this.onData(stream, session).then(
          () => cb(null),
          (err: Error) => cb(err),
        );
      },
    });
    server.on('error', (err: Error) =>
      this.log.warn({ err: { message: err.message } }, 'SMTP listener error'),
    );
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    const address = server.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    this.log.info({ host: config.host, port }, 'direct mode: SMTP listener up');
    return port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onRcptTo(
    address: SMTPServerAddress,
    session: SMTPServerSession,
    cb: (err?: Error | null) => void,
  ): void {
    const localpart = this.localpartOf(address.address);
    if (localpart === undefined)
      return cb(smtpError(550, `5.7.1 <${address.address}>: relaying denied`));
    if (!this.deps.target(localpart))
      return cb(smtpError(550, `5.1.1 <${address.address}>: no such room here`));
    if (session.envelope.rcptTo.length >= this.deps.config.max_recipients)
      return cb(smtpError(452, '4.5.3 too many recipients'));
    cb();
  }

  private async onData(stream: Readable, session: SMTPServerSession): Promise<void> {
    const { ctx, config } = this.deps;
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    if ((stream as Readable & { sizeExceeded?: boolean }).sizeExceeded) {
      this.deps.metrics.mail('in', 'too-large');
      throw smtpError(552, `5.3.4 mails over ${ctx.config.max_mail_bytes} bytes are not taken`);
    }
    const source = Buffer.concat(chunks);
    const mailFrom = session.envelope.mailFrom;
    const sender = mailFrom ? mailFrom.address : '';
    const ip = plainIp(session.remoteAddress);
    let verdict;
    try {
      verdict = await checkSender({
        source,
        ip,
        helo: session.hostNameAppearsAs,
        sender,
        mta: config.domain,
        resolver: this.deps.resolver,
      });
    } catch (err) {
      this.log.warn({ err: { message: (err as Error).message } }, 'sender checks failed');
      throw smtpError(451, '4.7.0 the sender checks failed for now: try again later');
    }
    if (verdict.reject && config.dmarc_reject) {
      this.deps.metrics.mail('in', 'denied');
      this.log.info({ ip, summary: verdict.summary }, 'direct mode: a mail failing DMARC refused');
      throw smtpError(550, `5.7.1 ${verdict.reject}`);
    }
    const line = verdictLine(verdict);
    const done = new Set<string>();
    for (const rcpt of session.envelope.rcptTo) {
      const target = this.deps.target(this.localpartOf(rcpt.address) ?? '');
      if (!target || done.has(target.portal)) continue;
      done.add(target.portal);
      const deps: FromMailDeps = {
        ctx,
        threads: this.deps.threads,
        portal: target.portal,
        mailboxId: target.mailboxId,
        ownAddress: target.address,
        lists: target,
        metrics: this.deps.metrics,
        ghostNames: this.deps.ghostNames,
        ...(this.deps.bounced ? { bounced: this.deps.bounced } : {}),
      };
      try {
        const id = await bridgeMail(deps, {
          uid: ++this.received,
          uidValidity: this.epoch,
          source,
          auth: line,
        });
        this.log.info(
          { portal: target.portal, messageId: id, verified: verdict.verified, ip },
          'direct mode: mail taken',
        );
      } catch (err) {
        this.log.warn(
          { portal: target.portal, err: { message: (err as Error).message } },
          'direct mode: could not store a mail for Matrix',
        );
        throw smtpError(451, '4.3.0 the mail could not be stored: try again later');
      }
    }
  }
}
