/**
 * The email bridge: configured mailboxes, each watched folder a room. Mail comes in over IMAP
 * (IDLE, UID progress per folder), each mail thread a Matrix thread; Matrix messages go out over
 * SMTP submission as replies in their thread or as new mails. See README.md.
 */
import {
  BridgeError,
  portalKey,
  type BridgeContext,
  type Connector,
  type MatrixMessage,
  type PortalInfo,
  type PortalKey,
  type RemoteMessageId,
  type SendResult,
  type AliasResolving,
  type EditCapable,
  type MatrixEdit,
  type MatrixRedaction,
  type RedactionCapable,
} from '../../src/connector.js';
import type { DNSResolver } from 'mailauth';
import { rememberSent, sentRecord } from './bounces.js';
import { composeMail } from './compose.js';
import {
  emailConfigSchema,
  type EmailConfig,
  type FolderConfig,
  type MailboxConfig,
} from './config.js';
import { DirectServer } from './direct.js';
import { FolderWatcher } from './folder-watcher.js';
import { emailMetrics, type EmailMetrics } from './metrics.js';
import { makeDirectPortalKey, makePortalKey, parsePortalKey } from './ids.js';
import { MailSender } from './sender.js';
import { Threads } from './threads.js';

interface Portal {
  key: PortalKey;
  /** The mailbox id, or `direct:<local part>` for a room of the direct mode. */
  mailboxId: string;
  /** Who mail from Matrix is from. */
  mailbox: Pick<MailboxConfig, 'address' | 'name'>;
  /** Recipients of a new mail without a `To:` line. */
  folder: Pick<FolderConfig, 'to'>;
  info: PortalInfo;
}

export interface EmailConnectorOptions {
  /**
   * DNS lookups of the direct mode's sender checks (mailauth's `resolver` option); the system's
   * resolver when absent. The tests give records of their own here.
   */
  dnsResolver?: DNSResolver;
}

export class EmailConnector
  implements Connector<EmailConfig>, AliasResolving, EditCapable, RedactionCapable
{
  readonly id = 'email';
  readonly displayName = 'Email';
  readonly configSchema = emailConfigSchema;
  readonly capabilities = {
    maxBodyBytes: 1024 * 1024,
    formatting: true,
    media: true,
    threads: true,
  };
  private ctx?: BridgeContext<EmailConfig>;
  private threads?: Threads;
  private readonly portals = new Map<string, Portal>();
  private readonly watchers: FolderWatcher[] = [];
  private readonly senders = new Map<string, MailSender>();
  private readonly ghostNames = new Map<string, string>();
  private metrics?: EmailMetrics;
  private direct?: DirectServer;
  /** The direct mode's SMTP port once listening (0: off). */
  directPort = 0;

  constructor(private readonly options: EmailConnectorOptions = {}) {}

  async start(ctx: BridgeContext<EmailConfig>): Promise<void> {
    this.ctx = ctx;
    const threads = (this.threads = new Threads(ctx.kv));
    const metrics = (this.metrics = emailMetrics(ctx.metrics, () => this.watchers));
    for (const [mailboxId, mailbox] of Object.entries(ctx.config.mailboxes)) {
      this.senders.set(mailboxId, new MailSender(ctx, mailboxId, mailbox));
      for (const folder of mailbox.folders) {
        const key = makePortalKey(mailboxId, folder.folder);
        const info = folderPortalInfo(key, mailbox, folder);
        this.portals.set(key, { key, mailboxId, mailbox, folder, info });
        await ctx.ensurePortal(info);
        this.watchers.push(
          new FolderWatcher({
            ctx,
            mailboxId,
            mailbox,
            folder,
            portal: key,
            threads,
            ghostNames: this.ghostNames,
            metrics,
          }),
        );
      }
    }
    await this.startDirect(ctx);
    await Promise.all(this.watchers.map((w) => w.start()));
  }

  /** The direct mode: a room per configured address, and the SMTP listener. */
  private async startDirect(ctx: BridgeContext<EmailConfig>): Promise<void> {
    const direct = ctx.config.direct;
    if (!direct) return;
    for (const [localpart, room] of Object.entries(direct.rooms)) {
      const key = makeDirectPortalKey(localpart);
      const mailboxId = `direct:${localpart}`;
      const mailbox = { address: `${localpart}@${direct.domain}`, name: direct.name };
      const info: PortalInfo = {
        key,
        name: mailbox.address,
        topic: `Mail to ${mailbox.address} (each sender's SPF, DKIM and DMARC checked and shown). Answer a mail in its thread; start a new mail with a first line "To: name@example.org".`,
        joinRule: room.join_rule,
        ...(room.invite.length ? { invite: room.invite as PortalInfo['invite'] } : {}),
        ...(room.room ? { roomId: room.room as PortalInfo['roomId'] } : {}),
      };
      this.portals.set(key, { key, mailboxId, mailbox, folder: room, info });
      this.senders.set(
        mailboxId,
        new MailSender(ctx, mailboxId, { ...mailbox, smtp: direct.smtp }),
      );
      await ctx.ensurePortal(info);
    }
    this.direct = new DirectServer({
      ctx,
      config: direct,
      threads: this.threads!,
      metrics: this.metrics!,
      ghostNames: this.ghostNames,
      resolver: this.options.dnsResolver,
      target: (localpart) => {
        const room = direct.rooms[localpart];
        if (!room) return undefined;
        return {
          portal: makeDirectPortalKey(localpart),
          mailboxId: `direct:${localpart}`,
          address: `${localpart}@${direct.domain}`,
          allow_senders: room.allow_senders,
          deny_senders: room.deny_senders,
        };
      },
    });
    this.directPort = await this.direct.start();
  }

  async stop(): Promise<void> {
    await this.direct?.stop();
    this.direct = undefined;
    this.directPort = 0;
    await Promise.all(this.watchers.map((w) => w.stop()));
    this.watchers.length = 0;
    for (const s of this.senders.values()) s.close();
    this.senders.clear();
    this.portals.clear();
    this.ctx = undefined;
  }

  /** `#email_<mailbox id>`: the mailbox's first folder; `#email_<room>`: a direct-mode room. */
  async resolveAlias(localpart: string): Promise<PortalInfo | null> {
    const mailbox = this.ctx?.config.mailboxes[localpart];
    const first = mailbox?.folders[0];
    const p = first
      ? this.portals.get(makePortalKey(localpart, first.folder))
      : this.portals.get(makeDirectPortalKey(localpart));
    return p?.info ?? null;
  }

  async handleMatrixMessage(msg: MatrixMessage): Promise<SendResult> {
    const ctx = this.ctx;
    const threads = this.threads;
    if (!ctx || !threads)
      throw new BridgeError('not-connected', 'the email bridge is not running', true);
    const portal = this.portals.get(msg.portal) ?? this.unknownPortal(msg.portal);
    const sender = this.senders.get(portal.mailboxId)!;
    if (!sender.canSend)
      throw new BridgeError(
        'unsupported',
        'this room is read-only (no smtp for it in the bridge config)',
      );
    const thread = msg.thread ? await threads.get(portal.key, msg.thread) : undefined;
    if (msg.thread && !thread)
      throw new BridgeError(
        'unknown-target',
        'the bridge does not know the mail thread this answers',
      );
    const mail = composeMail({
      msg,
      mailbox: portal.mailbox,
      folder: portal.folder,
      ...(thread ? { thread } : {}),
      maxBodyBytes: ctx.config.max_body_bytes,
    });
    const raw = await sender.build(mail, msg.content.attachments ?? []);
    // Known before it is sent: the copy that comes back (the mailbox among the recipients, Sent
    // watched) is never bridged back.
    const recorded = await threads.add(portal.key, thread, {
      id: mail.messageId,
      subject: mail.subject,
      participants: [...mail.to, ...mail.cc],
    });
    try {
      await sender.send(mail, raw);
      this.metrics?.mail('out', 'sent');
    } catch (err) {
      this.metrics?.mail('out', 'failed');
      await threads.forget(portal.key, mail.messageId, thread);
      throw err;
    }
    ctx.log.info(
      {
        portal: portal.key,
        messageId: mail.messageId,
        thread: recorded.root,
        recipients: mail.to.length + mail.cc.length,
      },
      'mail sent from Matrix',
    );
    // Sent from Matrix: for a bounce, and for a redaction of it.
    await rememberSent(ctx.kv, portal.mailboxId, mail.messageId, {
      portal: portal.key,
      sender: msg.sender.userId,
      subject: mail.subject,
    });
    await sender.saveSent(raw);
    return { remoteId: mail.messageId as RemoteMessageId };
  }

  /** A mail that left cannot be changed: the sender is told so (core's failure notice). */
  async handleMatrixEdit(_edit: MatrixEdit): Promise<void> {
    throw new BridgeError(
      'unsupported',
      'changing a sent mail is not supported: the edit was not sent (write a correction in the thread)',
    );
  }

  /**
   * Nor unsent: it stays in the recipients' mailboxes. Deleting a mail that came in (moderation in
   * the room) is Matrix's own business: the mail stays in the mailbox, nobody needs telling.
   */
  async handleMatrixRedaction(redaction: MatrixRedaction): Promise<void> {
    const ctx = this.ctx;
    const portal = this.portals.get(redaction.portal);
    if (!ctx || !portal || !(await sentRecord(ctx.kv, portal.mailboxId, redaction.target))) return;
    throw new BridgeError(
      'unsupported',
      "unsending a mail is not supported: it stays in the recipients' mailboxes",
    );
  }

  private unknownPortal(key: string): never {
    if (key.startsWith('direct:'))
      throw new BridgeError(
        'unknown-target',
        `the address ${key.slice(7)} is not in the bridge's direct mode config any more`,
      );
    const parsed = parsePortalKey(key);
    throw new BridgeError(
      'unknown-target',
      parsed
        ? `the mailbox folder ${parsed.mailbox}/${parsed.folder} is not in the bridge config any more`
        : `${portalKey(key)} is not a mailbox folder`,
    );
  }
}

function folderPortalInfo(
  key: PortalKey,
  mailbox: MailboxConfig,
  folder: FolderConfig,
): PortalInfo {
  return {
    key,
    name: `${mailbox.address} · ${folder.folder}`,
    topic: `Mail of ${mailbox.address} (${folder.folder}). Answer a mail in its thread; start a new mail with a first line "To: name@example.org".`,
    joinRule: folder.join_rule,
    ...(folder.invite.length ? { invite: folder.invite as PortalInfo['invite'] } : {}),
    ...(folder.room ? { roomId: folder.room as PortalInfo['roomId'] } : {}),
  };
}
