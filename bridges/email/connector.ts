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
  type PortalRecord,
  type MatrixUserId,
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
import { emailConfigSchema, type EmailConfig, type DirectConfig } from './config.js';
import { DirectServer } from './direct.js';
import {
  loadListPost,
  makeListPortalKey,
  parseListPortalKey,
  saveListPost,
  type ListRooms,
} from './lists.js';
import { directPortal, folderPortal, linkablePortal, listPortal, type Portal } from './portals.js';
import { FolderWatcher } from './folder-watcher.js';
import { emailMetrics, type EmailMetrics } from './metrics.js';
import { makeDirectPortalKey, makePortalKey, parsePortalKey } from './ids.js';
import { Confirmations, Outbox, type OutboxEntry } from './outbox.js';
import { MailSender } from './sender.js';
import { Threads } from './threads.js';

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
  private outbox?: Outbox;
  private confirmations?: Confirmations;
  /** The direct mode's SMTP port once listening (0: off). */
  directPort = 0;

  constructor(private readonly options: EmailConnectorOptions = {}) {}

  async start(ctx: BridgeContext<EmailConfig>): Promise<void> {
    this.ctx = ctx;
    const threads = (this.threads = new Threads(ctx.kv));
    this.confirmations = new Confirmations(ctx.config.bounce_wait_ms);
    this.outbox = new Outbox({
      kv: ctx.kv,
      policy: ctx.config.send_retry,
      log: ctx.log,
      send: (entry) => {
        const sender = this.senders.get(entry.mailboxId);
        if (!sender)
          throw new BridgeError(
            'unknown-target',
            `the mailbox ${entry.mailboxId} is gone from the config`,
          );
        return sender.sendRaw(entry.to, Buffer.from(entry.raw, 'base64'));
      },
      sent: (entry) => this.outboxSent(entry),
      failed: (entry, error) => this.outboxFailed(entry, error),
    });
    const metrics = (this.metrics = emailMetrics(ctx.metrics, () => this.watchers));
    for (const [mailboxId, mailbox] of Object.entries(ctx.config.mailboxes)) {
      this.senders.set(mailboxId, new MailSender(ctx, mailboxId, mailbox));
      for (const list of mailbox.lists)
        await this.addPortal(listPortal(mailboxId, mailbox, list.list_id, list), true);
      for (const folder of mailbox.folders) {
        const portal = folderPortal(mailboxId, mailbox, folder);
        await this.addPortal(portal, true);
        this.watchers.push(
          new FolderWatcher({
            ctx,
            mailboxId,
            mailbox,
            folder,
            portal: portal.key,
            threads,
            ghostNames: this.ghostNames,
            metrics,
            listRooms: this.listRooms,
            bounced: (id, reason) => this.bounced(id, reason),
          }),
        );
      }
    }
    const direct = ctx.config.direct;
    for (const [localpart, room] of Object.entries(direct?.rooms ?? {}))
      await this.addPortal(directPortal(direct!.domain, direct!.name, localpart, room), true);
    // Rooms linked by command or the provisioning API (lists, direct addresses).
    for (const record of await ctx.portals())
      if (!this.portals.has(record.key)) {
        const portal = linkablePortal(ctx.config, record.key);
        if (typeof portal !== 'string') await this.addPortal(portal, false);
        else
          ctx.log.warn(
            { portal: record.key, reason: portal },
            'a linked room the bridge cannot serve',
          );
      }
    if (direct) await this.startDirect(ctx, direct);
    await this.outbox.start();
    await Promise.all(this.watchers.map((w) => w.start()));
  }

  /** Where mail of a linked list goes, and the list's posting address learned from its mail. */
  private readonly listRooms: ListRooms = {
    portalFor: (mailboxId, listId) => {
      const key = makeListPortalKey(mailboxId, listId);
      return this.portals.has(key) ? key : undefined;
    },
    posted: async (key, address) => {
      const portal = this.portals.get(key);
      if (!portal || !this.ctx || portal.folder.to[0] === address) return;
      portal.folder.to = [address];
      await saveListPost(this.ctx.kv, key, address);
    },
  };

  /** A portal served from now on; one from the config also gets its room (made when missing). */
  private async addPortal(portal: Portal, ensureRoom: boolean): Promise<void> {
    const ctx = this.ctx!;
    this.portals.set(portal.key, portal);
    if (parseListPortalKey(portal.key)) {
      const post = await loadListPost(ctx.kv, portal.key);
      if (post) portal.folder.to = [post];
    }
    if (!this.senders.has(portal.mailboxId) && ctx.config.direct)
      this.senders.set(
        portal.mailboxId,
        new MailSender(ctx, portal.mailboxId, {
          address: portal.mailbox.address,
          smtp: ctx.config.direct.smtp,
        }),
      );
    if (ensureRoom) await ctx.ensurePortal(portal.info);
  }

  /** A room linked by `link email <remote id> <room id>` or the provisioning API. */
  async portalLinked(record: PortalRecord): Promise<void> {
    const ctx = this.ctx;
    if (!ctx || this.portals.has(record.key)) return;
    const portal = linkablePortal(ctx.config, record.key);
    if (typeof portal === 'string') throw new BridgeError('unknown-target', portal);
    await this.addPortal(portal, false);
    ctx.log.info({ portal: record.key, roomId: record.roomId }, 'room linked');
  }

  async portalUnlinked(record: PortalRecord): Promise<void> {
    const portal = this.portals.get(record.key);
    if (!portal || portal.fromConfig) return;
    this.portals.delete(record.key);
    this.ctx?.log.info({ portal: record.key }, 'room unlinked');
  }

  /** The direct mode's SMTP listener: mail to an address of a direct portal lands in its room. */
  private async startDirect(ctx: BridgeContext<EmailConfig>, direct: DirectConfig): Promise<void> {
    this.direct = new DirectServer({
      ctx,
      config: direct,
      threads: this.threads!,
      metrics: this.metrics!,
      ghostNames: this.ghostNames,
      resolver: this.options.dnsResolver,
      bounced: (id, reason) => this.bounced(id, reason),
      target: (localpart) => {
        const portal = this.portals.get(makeDirectPortalKey(localpart));
        if (!portal) return undefined;
        const room = direct.rooms[localpart];
        return {
          portal: portal.key,
          mailboxId: portal.mailboxId,
          address: portal.mailbox.address,
          allow_senders: room?.allow_senders ?? [],
          deny_senders: room?.deny_senders ?? [],
        };
      },
    });
    this.directPort = await this.direct.start();
  }

  async stop(): Promise<void> {
    this.outbox?.stop();
    this.confirmations?.stop();
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
    // Sent from Matrix: for a bounce (which may come at once), and for a redaction of it.
    await rememberSent(ctx.kv, portal.mailboxId, mail.messageId, {
      portal: portal.key,
      sender: msg.sender.userId,
      subject: mail.subject,
    });
    const envelope = sender.envelope(mail);
    const entry: OutboxEntry = {
      id: mail.messageId,
      portal: portal.key,
      mailboxId: portal.mailboxId,
      ...envelope,
      raw: raw.toString('base64'),
      sender: msg.sender.userId,
      subject: mail.subject,
      attempts: 0,
      firstAt: Date.now(),
      nextAt: Date.now(),
    };
    // In the outbox before the first try: a server that is down for now does not lose it.
    await this.outbox!.add(entry);
    const log = { portal: portal.key, messageId: mail.messageId, thread: recorded.root };
    try {
      await sender.sendRaw(envelope.to, raw);
    } catch (err) {
      if (err instanceof BridgeError && err.retriable) {
        await this.outbox!.deferred(entry, err);
        const confirmed = this.confirmations!.wait(mail.messageId, false);
        return { remoteId: mail.messageId as RemoteMessageId, ...(confirmed ? { confirmed } : {}) };
      }
      await this.outbox!.remove(mail.messageId);
      this.metrics?.mail('out', 'failed');
      await threads.forget(portal.key, mail.messageId, thread);
      throw err;
    }
    await this.outbox!.remove(mail.messageId);
    this.metrics?.mail('out', 'sent');
    ctx.log.info({ ...log, recipients: envelope.to.length }, 'mail sent from Matrix');
    await sender.saveSent(raw);
    const confirmed = this.confirmations!.wait(mail.messageId, true);
    return { remoteId: mail.messageId as RemoteMessageId, ...(confirmed ? { confirmed } : {}) };
  }

  /** The outbox sent a mail it had kept (after a temporary failure). */
  private async outboxSent(entry: OutboxEntry): Promise<void> {
    this.metrics?.mail('out', 'sent');
    this.ctx?.log.info({ portal: entry.portal, messageId: entry.id }, 'mail sent from the outbox');
    this.confirmations?.left(entry.id);
    await this.senders.get(entry.mailboxId)?.saveSent(Buffer.from(entry.raw, 'base64'));
  }

  /** The outbox gave up on a mail: core's wait fails (the sender sees why), or they are told. */
  private async outboxFailed(entry: OutboxEntry, error: BridgeError): Promise<void> {
    this.metrics?.mail('out', 'failed');
    this.ctx?.log.warn(
      { portal: entry.portal, messageId: entry.id, attempts: entry.attempts + 1 },
      'outbox: gave up on a mail',
    );
    if (this.confirmations?.fail(entry.id, error)) return;
    await this.ctx?.notify(
      entry.sender as MatrixUserId,
      `⚠️ Your mail “${entry.subject}” was not sent: ${error.userMessage}.`,
    );
  }

  /** A delivery report about a mail from Matrix: its Matrix event fails while core waits. */
  private bounced(messageId: string, reason: string): void {
    this.confirmations?.fail(
      messageId,
      new BridgeError('rejected', `the mail was not delivered: ${reason}`),
    );
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
    if (!parsePortalKey(key))
      throw new BridgeError(
        'unknown-target',
        `${portalKey(key)} is not linked to this room any more (or no longer in the bridge config)`,
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
