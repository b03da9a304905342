/**
 * One watched IMAP folder: a connection of its own sitting in IDLE, and the folder's progress in
 * the bridge's key-value store (`f:<portal>` → UIDVALIDITY and the last UID bridged). Every sync
 * bridges the mails above the last UID in UID order, saving the progress after each batch, so a restart
 * neither repeats nor misses one and mail that came while the bridge was down is bridged on start.
 * A UIDVALIDITY change (the folder was rebuilt) goes through the whole folder once more, skipping
 * every mail whose Message-ID the portal has seen, and every mail older (INTERNALDATE) than the last
 * one handled or without a Message-ID (seen or skipped before: counted in a warning).
 */
import { ImapFlow } from 'imapflow';
import type { BridgeContext, PortalKey } from '../../../src/connector.js';
import type { EmailConfig, FolderConfig, MailboxConfig } from '../config.js';
import type { EmailMetrics } from './metrics.js';
import { backoffMs, imapOptions } from './connection.js';
import { senderAllowed } from '../from-mail/filters.js';
import { bridgeMail, type FromMailDeps } from '../from-mail/from-mail.js';
import { mailMessageId, makeRemoteUser } from '../ids.js';
import type { ListRooms } from '../portals/lists.js';
import type { Threads } from '../portals/threads.js';

/** What is stored per folder. UIDVALIDITY is a 32-bit number; kept as a string for JSON. */
interface FolderState {
  uidValidity: string;
  lastUid: number;
  /** The INTERNALDATE (ms) of the latest mail handled: after a UIDVALIDITY change, older is old. */
  lastDate?: number;
}

/** Mails fetched per FETCH of their sources during a catch-up, and handed to core before the folder's progress is saved. */
const BATCH = 50;

export interface WatcherDeps {
  ctx: BridgeContext<EmailConfig>;
  mailboxId: string;
  mailbox: MailboxConfig;
  folder: FolderConfig;
  portal: PortalKey;
  threads: Threads;
  ghostNames: Map<string, string>;
  metrics: EmailMetrics;
  listRooms?: ListRooms;
  bounced?: (messageId: string, reason: string) => void;
}

export class FolderWatcher {
  private client?: ImapFlow;
  private stopped = false;
  private attempts = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  /** Connected and in the folder (for metrics). */
  connected = false;

  constructor(private readonly deps: WatcherDeps) {}

  private get log() {
    return this.deps.ctx.log.child({ portal: this.deps.portal });
  }

  /** Connects and starts the catch-up; a server that is down is retried in the background, not thrown. */
  async start(): Promise<void> {
    await this.connect().catch((err: unknown) => this.failed(err));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await this.running?.catch(() => undefined);
    if (client) {
      await Promise.race([
        client.logout().catch(() => undefined),
        new Promise((r) => setTimeout(r, 3000).unref()),
      ]);
      client.close();
    }
  }

  private async connect(): Promise<void> {
    const { ctx, mailbox, folder } = this.deps;
    const client = new ImapFlow(imapOptions(mailbox, ctx.config));
    client.on('error', (err: Error) =>
      this.log.warn({ err: { message: err.message } }, 'IMAP connection error'),
    );
    client.on('close', () => {
      if (this.client !== client) return;
      this.client = undefined;
      this.connected = false;
      if (!this.stopped) this.scheduleReconnect();
    });
    client.on('exists', () => this.sync());
    this.client = client;
    await client.connect();
    if (this.stopped) return client.close();
    await client.mailboxOpen(folder.folder);
    this.connected = true;
    this.attempts = 0;
    this.log.info({ folder: folder.folder }, 'IMAP folder open; watching it (IDLE)');
    // The catch-up runs on its own: the bridge is up meanwhile (10,000 waiting mails take minutes).
    void this.sync();
  }

  private failed(err: unknown): void {
    this.log.warn(
      { err: { message: (err as Error).message, code: (err as { code?: string }).code } },
      'IMAP connection failed',
    );
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    client?.close();
    if (!this.stopped) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.stopped) return;
    const wait = backoffMs(this.attempts++);
    this.log.info({ waitMs: wait }, 'IMAP reconnect scheduled');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.stopped) void this.connect().catch((err: unknown) => this.failed(err));
    }, wait);
  }

  /** Bridges what is new; one sync at a time (a call meanwhile runs one more after it). */
  sync(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          const client = this.client;
          if (!client || this.stopped) return;
          await this.catchUp(client);
        } while (this.again);
      } catch (err) {
        if (!this.stopped)
          this.log.warn({ err: { message: (err as Error).message } }, 'IMAP sync failed');
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private async catchUp(client: ImapFlow): Promise<void> {
    const { ctx, portal } = this.deps;
    const box = client.mailbox;
    if (!box) return;
    const uidValidity = String(box.uidValidity);
    const key = `f:${portal}`;
    let state = await ctx.kv.get<FolderState>(key);
    let resync = false;
    if (!state) {
      state = {
        uidValidity,
        lastUid: await this.firstStartUid(client, box.uidNext),
        lastDate: Date.now(),
      };
      await ctx.kv.set(key, state);
      this.log.info({ lastUid: state.lastUid }, 'first start of this folder');
    } else if (state.uidValidity !== uidValidity) {
      this.log.warn(
        { was: state.uidValidity, now: uidValidity },
        'UIDVALIDITY changed: going through the folder again, skipping mail bridged before (Message-ID)',
      );
      resync = true;
      state = { uidValidity, lastUid: 0, ...(state.lastDate ? { lastDate: state.lastDate } : {}) };
    }
    const after = state.lastUid;
    const found = await client.search({ uid: `${after + 1}:*` }, { uid: true });
    const uids = (found || []).filter((u) => u > after).sort((a, b) => a - b);
    if (uids.length === 0) {
      if (resync) await ctx.kv.set(key, state);
      return;
    }
    const deps: FromMailDeps = {
      ctx,
      threads: this.deps.threads,
      portal,
      mailboxId: this.deps.mailboxId,
      ownAddress: this.deps.mailbox.address.toLowerCase(),
      lists: this.deps.mailbox,
      metrics: this.deps.metrics,
      ghostNames: this.deps.ghostNames,
      ...(this.deps.listRooms ? { listRooms: this.deps.listRooms } : {}),
      ...(this.deps.bounced ? { bounced: this.deps.bounced } : {}),
    };
    let skipped = 0;
    let lastDate = state.lastDate;
    for (let i = 0; i < uids.length; i += BATCH) {
      const batch = uids.slice(i, i + BATCH);
      const sizes = await client.fetchAll(
        batch.join(','),
        { uid: true, size: true, envelope: true, internalDate: true },
        { uid: true },
      );
      const small = sizes
        .filter((m) => (m.size ?? 0) <= ctx.config.max_mail_bytes)
        .map((m) => m.uid);
      const sources = new Map<number, Buffer>();
      if (small.length)
        for (const m of await client.fetchAll(
          small.join(','),
          { uid: true, source: true },
          { uid: true },
        ))
          if (m.source) sources.set(m.uid, m.source);
      // The batch's mails are handed to core one after the other without waiting for each to be
      // stored (to survive a crash of the process), then their thread records (flushed to disk,
      // with the events before them) in one commit, then the folder's progress. Gone through
      // again after a crash, a mail whose records are stored is known by its Message-ID; one whose
      // records are not is emitted again under the same id, which core drops when it has sent it.
      const pending: Promise<void>[] = [];
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      const batchDeps: FromMailDeps = { ...deps, defer: (p) => void pending.push(p), gate };
      // A mail that fails ends the batch; what was handed over before it is still recorded.
      let failure: { err: unknown } | undefined;
      try {
        for (const m of sizes.sort((a, b) => a.uid - b.uid)) {
          if (this.stopped) break;
          const source = sources.get(m.uid);
          const date = m.internalDate ? new Date(m.internalDate).getTime() : undefined;
          // After a UIDVALIDITY change: mail from before the last one handled was seen (or skipped) then.
          const old = resync && (!m.envelope?.messageId || (date && lastDate && date <= lastDate));
          if (old) skipped++;
          else if (source)
            await bridgeMail(batchDeps, { uid: m.uid, uidValidity: BigInt(uidValidity), source });
          else await this.tooLarge(m.uid, m.size ?? 0, m.envelope, BigInt(uidValidity));
          if (date && !old) lastDate = Math.max(lastDate ?? 0, date);
          state = { uidValidity, lastUid: m.uid, ...(lastDate ? { lastDate } : {}) };
        }
      } catch (err) {
        failure = { err };
      }
      open();
      const settled = await Promise.allSettled(pending);
      if (failure) throw failure.err;
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      await ctx.kv.set(key, state);
      if (this.stopped) return;
    }
    if (skipped)
      this.log.warn(
        { skipped },
        'after the UIDVALIDITY change, mails older than the last one bridged (or without a Message-ID) were not bridged again',
      );
  }

  /** Where a folder seen for the first time starts: after its mail, less `first_start_backfill`. */
  private async firstStartUid(client: ImapFlow, uidNext: number): Promise<number> {
    const n = this.deps.ctx.config.first_start_backfill;
    if (n === 0) return Math.max(0, uidNext - 1);
    const all = ((await client.search({ all: true }, { uid: true })) || []).sort((a, b) => a - b);
    return all.length > n ? all[all.length - n - 1]! : 0;
  }

  /** A mail over `max_mail_bytes`: a notice in the room, from its sender, instead of the mail. */
  private async tooLarge(
    uid: number,
    size: number,
    envelope: { messageId?: string; subject?: string; from?: { address?: string }[] } | undefined,
    uidValidity: bigint,
  ): Promise<void> {
    const { ctx, portal } = this.deps;
    const id = mailMessageId(envelope?.messageId, portal, uidValidity, uid);
    if (await this.deps.threads.rootOf(portal, id)) return;
    const address = (envelope?.from?.[0]?.address ?? 'unknown-sender@invalid').toLowerCase();
    const { allow_senders, deny_senders } = this.deps.mailbox;
    if (!senderAllowed(address, allow_senders, deny_senders)) return;
    this.deps.metrics.mail('in', 'too-large');
    await ctx.emit({
      kind: 'message',
      portal,
      sender: makeRemoteUser(address),
      id,
      content: {
        kind: 'notice',
        text: `A mail of ${size} bytes (“${envelope?.subject ?? ''}”) is larger than this bridge takes (${ctx.config.max_mail_bytes} bytes): read it in a mail client.`,
      },
    });
    await this.deps.threads.add(portal, undefined, {
      id,
      subject: envelope?.subject ?? '',
      participants: [],
    });
  }
}
