/**
 * An intent acts as one of our users (a ghost or the bot). It registers the user and joins rooms
 * lazily, at most once, and remembers membership and profile so repeated calls cost nothing.
 */
import type { Logger } from 'pino';
import type { MatrixClient, Presence } from './client.js';
import { hasErrcode } from './errors.js';

export interface IntentOptions {
  log: Logger;
  /** The bot's intent: asked to invite this user when a join is refused (invite-only rooms). */
  bot?: Intent;
}

type Content = Record<string, unknown>;

/** Synapse's text for an asserted user that does not exist (403 M_FORBIDDEN, like a refused join). */
const NOT_REGISTERED = /has not registered this user/;

export function localpartOf(userId: string): string {
  const colon = userId.indexOf(':');
  return userId.slice(1, colon > 0 ? colon : undefined);
}

export class Intent {
  private registration: Promise<void> | undefined;
  private readonly joined = new Set<string>();
  private readonly joining = new Map<string, Promise<void>>();
  private displayName: string | undefined;
  private avatarUrl: string | undefined;

  constructor(
    readonly client: MatrixClient,
    readonly userId: string,
    private readonly opts: IntentOptions,
  ) {}

  /** Registers the user once; `M_USER_IN_USE` is success. A failure lets the next call try again. */
  ensureRegistered(): Promise<void> {
    this.registration ??= this.client.register(localpartOf(this.userId)).then(
      () => undefined,
      (err: unknown) => {
        this.registration = undefined;
        throw err;
      },
    );
    return this.registration;
  }

  /** For a user the caller knows exists (e.g. from its store): skips the register call. */
  markRegistered(): void {
    this.registration ??= Promise.resolve();
  }

  isJoined(roomId: string): boolean {
    return this.joined.has(roomId);
  }

  /** Keeps the membership cache true to the membership events the owner sees for this user. */
  noteMembership(roomId: string, membership: string): void {
    if (membership === 'join') this.joined.add(roomId);
    else this.joined.delete(roomId);
  }

  /** Joins once; concurrent callers share one attempt. Refused (403) → the bot invites, then join again. */
  ensureJoined(roomId: string): Promise<void> {
    if (this.joined.has(roomId)) return Promise.resolve();
    let pending = this.joining.get(roomId);
    if (!pending) {
      pending = this.join(roomId).finally(() => this.joining.delete(roomId));
      this.joining.set(roomId, pending);
    }
    return pending;
  }

  private async join(roomId: string, registeredAgain = false): Promise<void> {
    await this.ensureRegistered();
    try {
      await this.client.join(roomId, this.userId);
    } catch (err) {
      if (!hasErrcode(err, 'M_FORBIDDEN')) throw err;
      if (NOT_REGISTERED.test(err.error) && !registeredAgain) {
        // markRegistered() was wrong (e.g. the homeserver's database was reset): register now.
        this.registration = undefined;
        await this.ensureRegistered();
        return this.join(roomId, true);
      }
      const bot = this.opts.bot;
      if (!bot || bot === this) throw err;
      this.opts.log.debug(
        { userId: this.userId, roomId },
        'join refused; asking the bot for an invite',
      );
      await bot.ensureJoined(roomId);
      await bot.invite(roomId, this.userId);
      await this.client.join(roomId, this.userId);
    }
    this.joined.add(roomId);
  }

  /** Registers and joins first; a 403 from a stale membership cache re-joins and sends once more. */
  sendEvent(
    roomId: string,
    type: string,
    content: Content,
    txnId: string,
    ts?: number,
  ): Promise<string> {
    return this.inRoom(roomId, () =>
      this.client.sendEvent(roomId, type, content, txnId, this.userId, ts),
    );
  }

  sendState(
    roomId: string,
    type: string,
    stateKey: string,
    content: Content,
    ts?: number,
  ): Promise<string> {
    return this.inRoom(roomId, () =>
      this.client.putState(roomId, type, stateKey, content, this.userId, ts),
    );
  }

  redact(roomId: string, eventId: string, txnId: string, reason?: string): Promise<string> {
    return this.inRoom(roomId, () =>
      this.client.redact(roomId, eventId, txnId, reason, this.userId),
    );
  }

  setTyping(roomId: string, typing: boolean, timeoutMs = 30_000): Promise<void> {
    return this.inRoom(roomId, () => this.client.setTyping(roomId, this.userId, typing, timeoutMs));
  }

  sendReceipt(roomId: string, eventId: string): Promise<void> {
    return this.inRoom(roomId, () => this.client.sendReceipt(roomId, eventId, this.userId));
  }

  invite(roomId: string, userId: string): Promise<void> {
    return this.inRoom(roomId, () => this.client.invite(roomId, userId, this.userId));
  }

  kick(roomId: string, userId: string, reason?: string): Promise<void> {
    return this.inRoom(roomId, () => this.client.kick(roomId, userId, reason, this.userId));
  }

  async leave(roomId: string, reason?: string): Promise<void> {
    await this.client.leave(roomId, this.userId, reason);
    this.joined.delete(roomId);
  }

  /** Creates a room as this user, who is then its first member. */
  async createRoom(body: Content): Promise<string> {
    await this.ensureRegistered();
    const roomId = await this.client.createRoom(body, this.userId);
    this.joined.add(roomId);
    return roomId;
  }

  /** Sends nothing when the name is the one this intent last set. */
  async setDisplayName(name: string): Promise<void> {
    if (this.displayName === name) return;
    await this.ensureRegistered();
    await this.client.setDisplayName(this.userId, name, this.userId);
    this.displayName = name;
  }

  async setAvatarUrl(mxc: string): Promise<void> {
    if (this.avatarUrl === mxc) return;
    await this.ensureRegistered();
    await this.client.setAvatarUrl(this.userId, mxc, this.userId);
    this.avatarUrl = mxc;
  }

  /** Presence is the user's, not a room's: no join needed. */
  async setPresence(presence: Presence, statusMsg?: string): Promise<void> {
    await this.ensureRegistered();
    await this.client.setPresence(this.userId, presence, statusMsg);
  }

  private async inRoom<T>(roomId: string, action: () => Promise<T>): Promise<T> {
    await this.ensureJoined(roomId);
    try {
      return await action();
    } catch (err) {
      if (!hasErrcode(err, 'M_FORBIDDEN')) throw err;
      // Maybe kicked while we were not looking. Joining again is idempotent; a real lack of
      // power fails the second attempt the same way and is thrown.
      this.joined.delete(roomId);
      await this.ensureJoined(roomId);
      return action();
    }
  }
}

export interface IntentCacheOptions {
  client: MatrixClient;
  /** The appservice's sender (`@<sender_localpart>:<server>`). */
  botUserId: string;
  log: Logger;
  /** Ghost intents kept; the bot's is never evicted. Default 10 000. */
  maxSize?: number;
}

/**
 * One intent per user, kept in a least-recently-used map so memory stays flat with thousands of
 * ghosts. An evicted ghost costs, when it comes back, one register (answered `M_USER_IN_USE`) and
 * one join per room (idempotent), nothing more.
 */
export class IntentCache {
  readonly bot: Intent;
  private readonly ghosts = new Map<string, Intent>();
  private readonly maxSize: number;

  constructor(private readonly opts: IntentCacheOptions) {
    this.maxSize = Math.max(1, opts.maxSize ?? 10_000);
    this.bot = new Intent(opts.client, opts.botUserId, { log: opts.log });
  }

  intentFor(userId: string): Intent {
    if (userId === this.bot.userId) return this.bot;
    let intent = this.ghosts.get(userId);
    if (intent) {
      this.ghosts.delete(userId); // re-insert: the Map's order doubles as recency
    } else {
      intent = new Intent(this.opts.client, userId, { log: this.opts.log, bot: this.bot });
      if (this.ghosts.size >= this.maxSize) this.ghosts.delete(this.ghosts.keys().next().value!);
    }
    this.ghosts.set(userId, intent);
    return intent;
  }

  /** Feeds a membership event to the user's intent, if one is cached; never creates one. */
  noteMembership(userId: string, roomId: string, membership: string): void {
    const intent = userId === this.bot.userId ? this.bot : this.ghosts.get(userId);
    intent?.noteMembership(roomId, membership);
  }

  get size(): number {
    return this.ghosts.size;
  }
}
