/**
 * Mail threads ↔ Matrix threads, kept in the bridge's key-value store per portal:
 * - `m:<portal>:<message id>` → the id of its thread's root (also: "this mail was bridged", for
 *   the Message-ID dedupe after a UIDVALIDITY change);
 * - `t:<portal>:<root id>` → the thread: its subject, its correspondents (who a reply from Matrix
 *   goes to) and its latest Message-IDs (the References of that reply);
 * - `s:<portal>:<subject>` → the latest thread of a subject, for replies without References.
 * A mail joins the thread of the first message its In-Reply-To or References names that the bridge
 * knows; failing that, a reply-looking subject (`Re: …`) joins the latest thread of that subject;
 * failing that, it starts a thread of its own (it is the root).
 *
 * A catch-up records mails without waiting for each write (`stage`): what is staged is read from
 * memory until it is stored, and it is stored only once the mail's Matrix event is (a crash never
 * marks a mail bridged that was not).
 */
import type { KeyValueStore, PortalKey } from '../../../src/connector.js';

export interface ThreadRecord {
  root: string;
  subject: string;
  /** Correspondents' addresses (never the mailbox's own), in the order they appeared. */
  participants: string[];
  /** The thread's Message-IDs, the root first, then the latest ones (at most REFERENCES_KEPT). */
  references: string[];
  /** A mailing list's posting address (List-Post): answers go to the list, not to each sender. */
  list?: string;
}

const REFERENCES_KEPT = 20;
const PARTICIPANTS_KEPT = 50;
const REPLY_PREFIX = /^\s*((re|fwd?|aw|sv|wg|antw|vs)(\s*\[\d+\])?\s*:\s*)+/i;

/** A subject without its reply/forward prefixes, for comparison. */
export const baseSubject = (subject: string): string =>
  subject.replace(REPLY_PREFIX, '').replace(/\s+/g, ' ').trim();

export const looksLikeReply = (subject: string): boolean => REPLY_PREFIX.test(subject);

/** `Re: <subject>` (once). */
export const replySubject = (subject: string): string =>
  looksLikeReply(subject) ? subject : `Re: ${subject}`;

export class Threads {
  /** Staged writes not stored yet, by key: what reads see meanwhile. */
  private readonly staged = new Map<string, unknown>();

  constructor(private readonly kv: KeyValueStore) {}

  private read<T>(key: string): Promise<T | undefined> {
    return this.staged.has(key) ? Promise.resolve(this.staged.get(key) as T) : this.kv.get<T>(key);
  }

  /** The root of the thread a message was bridged into; undefined when it never was. */
  rootOf(portal: PortalKey, messageId: string): Promise<string | undefined> {
    return this.read<string>(`m:${portal}:${messageId}`);
  }

  /** Remembers a message that is no thread's (a spam notice): never bridged twice. */
  async markSeen(portal: PortalKey, messageId: string): Promise<void> {
    await this.kv.set(`m:${portal}:${messageId}`, messageId);
  }

  get(portal: PortalKey, root: string): Promise<ThreadRecord | undefined> {
    return this.read<ThreadRecord>(`t:${portal}:${root}`);
  }

  /** The thread an incoming mail belongs to, or undefined when it starts one. */
  async find(
    portal: PortalKey,
    mail: { references: string[]; subject: string },
  ): Promise<ThreadRecord | undefined> {
    // The latest named first: In-Reply-To is last in `references` (the caller appends it).
    for (const id of [...mail.references].reverse()) {
      const root = await this.rootOf(portal, id);
      if (root) return this.get(portal, root);
    }
    if (!looksLikeReply(mail.subject)) return undefined;
    const base = baseSubject(mail.subject).toLowerCase();
    if (!base) return undefined;
    const root = await this.read<string>(`s:${portal}:${base}`);
    return root ? this.get(portal, root) : undefined;
  }

  /**
   * Records a message in a thread (a new thread when `thread` is undefined: the message is its
   * root). Returns the thread as it is now.
   */
  async add(
    portal: PortalKey,
    thread: ThreadRecord | undefined,
    message: { id: string; subject: string; participants: string[]; list?: string },
  ): Promise<ThreadRecord> {
    const { record, stored } = this.stage(portal, thread, message);
    await stored;
    return record;
  }

  /**
   * `add` without waiting: the thread as it is now at once (and to every read from now on), and
   * `stored`, which settles once its records are stored, after `after` (the mail's Matrix event
   * being stored) resolved; when `after` rejects, nothing is stored and the staged records go.
   */
  stage(
    portal: PortalKey,
    thread: ThreadRecord | undefined,
    message: { id: string; subject: string; participants: string[]; list?: string },
    after?: Promise<unknown>,
  ): { record: ThreadRecord; stored: Promise<void> } {
    const record: ThreadRecord = thread
      ? { ...thread, participants: [...thread.participants], references: [...thread.references] }
      : { root: message.id, subject: message.subject, participants: [], references: [] };
    if (message.list) record.list = message.list;
    for (const p of message.participants)
      if (!record.participants.includes(p)) record.participants.push(p);
    record.participants = record.participants.slice(0, PARTICIPANTS_KEPT);
    if (message.id.startsWith('<') && !record.references.includes(message.id)) {
      record.references.push(message.id);
      if (record.references.length > REFERENCES_KEPT)
        record.references = [
          record.references[0]!,
          ...record.references.slice(-REFERENCES_KEPT + 1),
        ];
    }
    const base = baseSubject(record.subject).toLowerCase();
    const writes: [string, unknown][] = [
      [`t:${portal}:${record.root}`, record],
      [`m:${portal}:${message.id}`, record.root],
      ...(base ? [[`s:${portal}:${base}`, record.root] as [string, unknown]] : []),
    ];
    for (const [key, value] of writes) this.staged.set(key, value);
    // Issued together: one commit for all three.
    const stored = (after ?? Promise.resolve())
      .then(() => Promise.all(writes.map(([key, value]) => this.kv.set(key, value))))
      .then(() => undefined)
      .finally(() => {
        // Unless a later stage changed it meanwhile, the store has it now (or it was not stored).
        for (const [key, value] of writes)
          if (this.staged.get(key) === value) this.staged.delete(key);
      });
    return { record, stored };
  }

  /** Takes back `add` of a message that was not sent after all: the thread as it was before. */
  async forget(portal: PortalKey, id: string, before: ThreadRecord | undefined): Promise<void> {
    await this.kv.delete(`m:${portal}:${id}`);
    if (before) await this.kv.set(`t:${portal}:${before.root}`, before);
    else await this.kv.delete(`t:${portal}:${id}`);
  }
}
