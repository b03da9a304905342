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
  type PortalRecord,
  type Command,
  type SendResult,
  type AliasResolving,
  type EditCapable,
  type MatrixEdit,
  type MatrixRedaction,
  type RedactionCapable,
} from '../../src/connector.js';
import type { DNSResolver } from 'mailauth';
import { sentRecord } from './from-matrix/bounces.js';
import { composeMail } from './from-matrix/compose.js';
import {
  emailConfigSchema,
  type DirectConfig,
  type EmailConfig,
  type MailboxConfig,
} from './config.js';
import { LoginStore, loginCommands, userMailbox, userMailboxId } from './mailboxes/logins.js';
import { DirectServer } from './direct/direct.js';
import {
  loadListPost,
  makeListPortalKey,
  parseListPortalKey,
  saveListPost,
  type ListRooms,
} from './portals/lists.js';
import { directPortal, folderPortal, linkablePortal, listPortal, type Portal } from './portals/portals.js';
import { FolderWatcher } from './mailboxes/folder-watcher.js';
import { emailMetrics, type EmailMetrics } from './mailboxes/metrics.js';
import { makeDirectPortalKey, makePortalKey, parsePortalKey } from './ids.js';
import { Outgoing } from './from-matrix/outgoing.js';
import { MailSender } from './from-matrix/sender.js';
import { Threads } from './portals/threads.js';

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
  private readonly mailboxWatchers = new Map<string, FolderWatcher[]>();
  private logins?: LoginStore;
  private readonly senders = new Map<string, MailSender>();
  private readonly ghostNames = new Map<string, string>();
  private metrics?: EmailMetrics;
  private direct?: DirectServer;
  private outgoing?: Outgoing;
  /** The direct mode's SMTP port once listening (0: off). */
  directPort = 0;

  constructor(private readonly options: EmailConnectorOptions = {}) {}

  async start(ctx: BridgeContext<EmailConfig>): Promise<void> {
    this.ctx = ctx;
    this.threads = new Threads(ctx.kv);
    this.outgoing = new Outgoing(ctx, this.senders, (outcome) =>
      this.metrics?.mail('out', outcome),
    );
    this.metrics = emailMetrics(ctx.metrics, () => this.watchers);
    for (const [mailboxId, mailbox] of Object.entries(ctx.config.mailboxes))
      await this.addMailbox(mailboxId, mailbox);
    // Users' own mailboxes (`email login`), as they left them.
    this.logins = new LoginStore(ctx.kv, ctx.secrets);
    if (ctx.config.logins)
      for (const userId of await this.logins.users()) {
        const login = await this.logins.get(userId);
        if (login)
          await this.addMailbox(
            userMailboxId(userId),
            userMailbox(ctx.config.logins, userId, login.address, login.password),
          );
        else ctx.log.warn({ user: userId }, 'a stored login could not be read: not bridged');
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
    await this.outgoing.start();
    await Promise.all(this.watchers.map((w) => w.start()));
  }

  /** A mailbox's sender and rooms (made when missing), and its folders' watchers (not started). */
  private async addMailbox(mailboxId: string, mailbox: MailboxConfig): Promise<FolderWatcher[]> {
    const ctx = this.ctx!;
    this.senders.set(mailboxId, new MailSender(ctx, mailboxId, mailbox));
    for (const list of mailbox.lists)
      await this.addPortal(listPortal(mailboxId, mailbox, list.list_id, list), true);
    const added: FolderWatcher[] = [];
    for (const folder of mailbox.folders) {
      const portal = folderPortal(mailboxId, mailbox, folder);
      await this.addPortal(portal, true);
      added.push(
        new FolderWatcher({
          ctx,
          mailboxId,
          mailbox,
          folder,
          portal: portal.key,
          threads: this.threads!,
          ghostNames: this.ghostNames,
          metrics: this.metrics!,
          listRooms: this.listRooms,
          bounced: (id, reason) => this.outgoing?.bounced(id, reason),
        }),
      );
    }
    this.watchers.push(...added);
    this.mailboxWatchers.set(mailboxId, added);
    return added;
  }

  /** `email login`: the user's mailbox, watched from now on; its rooms. */
  private async startUserMailbox(userId: string, mailbox: MailboxConfig): Promise<string[]> {
    const mailboxId = userMailboxId(userId);
    const watchers = await this.addMailbox(mailboxId, mailbox);
    await Promise.all(watchers.map((w) => w.start()));
    const rooms = await this.ctx!.portals();
    const keys = new Set(mailbox.folders.map((f) => makePortalKey(mailboxId, f.folder) as string));
    return rooms.filter((r) => keys.has(r.key)).map((r) => r.roomId);
  }

  /** `email logout` (or a new login): the user's mailbox is no longer watched. */
  private async stopUserMailbox(userId: string): Promise<void> {
    const mailboxId = userMailboxId(userId);
    const watchers = this.mailboxWatchers.get(mailboxId) ?? [];
    this.mailboxWatchers.delete(mailboxId);
    await Promise.all(watchers.map((w) => w.stop()));
    this.watchers.splice(
      0,
      this.watchers.length,
      ...this.watchers.filter((w) => !watchers.includes(w)),
    );
    for (const [key, portal] of this.portals)
      if (portal.mailboxId === mailboxId) this.portals.delete(key);
    this.senders.get(mailboxId)?.close();
    this.senders.delete(mailboxId);
  }

  commands(): Command[] {
    return loginCommands({
      ctx: () => this.ctx,
      store: () => this.logins,
      start: (userId, mailbox) => this.startUserMailbox(userId, mailbox),
      stop: (userId) => this.stopUserMailbox(userId),
    });
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
  /** A list room of a configured mailbox, or an address of the direct mode; nothing else. */
  validateLink(remoteId: PortalKey): string | undefined {
    const ctx = this.ctx;
    if (!ctx || this.portals.has(remoteId)) return undefined;
    const portal = linkablePortal(ctx.config, remoteId);
    return typeof portal === 'string' ? portal : undefined;
  }

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
      bounced: (id, reason) => this.outgoing?.bounced(id, reason),
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
    this.outgoing?.stop();
    await this.direct?.stop();
    this.direct = undefined;
    this.directPort = 0;
    await Promise.all(this.watchers.map((w) => w.stop()));
    this.watchers.length = 0;
    this.mailboxWatchers.clear();
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
    // Known before it is sent (at once; stored while it is submitted): the copy that comes back
    // (the mailbox among the recipients, Sent watched) is never bridged back.
    const { stored } = threads.stage(portal.key, thread, {
      id: mail.messageId,
      subject: mail.subject,
      participants: [...mail.to, ...mail.cc],
    });
    const sent = this.outgoing!.send({
      portal,
      mail,
      raw,
      sender,
      matrixSender: msg.sender.userId,
    });
    const [recorded, result] = await Promise.allSettled([stored, sent]);
    if (result.status === 'rejected') {
      await threads.forget(portal.key, mail.messageId, thread);
      throw result.reason;
    }
    if (recorded.status === 'rejected') throw recorded.reason;
    return result.value;
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
