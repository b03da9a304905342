/**
 * One configured IRC network: a listener (bot) connection that sits in every bridged
 * channel and hears everything, and one lazily made puppet connection per Matrix user
 * who speaks. The nicks of all our connections are kept, so that nothing our own
 * connections say is ever bridged back to Matrix.
 * Connections connect through one limiter per network (`max_concurrent_connects`, the bot
 * first); puppets idle for `idle_timeout_hours` QUIT (one sweep per network), and at
 * `max_puppets` the idle-most puppet QUITs to make room for a new one.
 */
import type { Logger } from 'pino';
import { BridgeError, type MatrixUserId } from '../../../src/connector.js';
import type { IrcNetworkConfig } from '../config.js';
import { ConnectLimiter } from './connect-limiter.js';
import { connectionLimits, type ConnectionLimits } from './connection-limits.js';
import { IrcConnection, type SaslAccount } from './connection.js';
import { IdleSweeper, idlest } from './idle.js';
import { watchBotLogin } from '../commands/login.js';
import { puppetIdentity } from './nicks.js';
import type { PoolLink } from '../pool/pool-link.js';
import { botConnId, puppetConnId } from '../pool/protocol.js';

/** How long a nick stays ours after its connection dropped (the server's QUIT reaches the bot later). */
const LOST_NICK_GRACE_MS = 10_000;

export class IrcNetwork {
  readonly bot: IrcConnection;
  private readonly puppets = new Map<string, IrcConnection>();
  /** Lowercased nicks the bot and the puppets hold on the server now (what we must never bridge back). */
  private readonly ourNicks = new Set<string>();
  /** Nicks Matrix users chose (`irc nick`), asked for whenever their puppet connects. */
  readonly chosenNicks = new Map<string, string>();
  /** SASL accounts of Matrix users (`irc login`), used whenever their puppet connects. */
  readonly accounts = new Map<string, SaslAccount>();
  /** Called for each new puppet connection (PMs to it are heard there). */
  onPuppet?: (userId: MatrixUserId, puppet: IrcConnection) => void;
  /**
   * What a new puppet connection of the user gets besides the template's identity: a username
   * (the ident server's per-user one) and a source address (from `source_prefix`).
   */
  puppetOptions?: (userId: MatrixUserId) => { username?: string; localAddress?: string };
  /** A puppet connection was made or removed, or the channels one should be in changed (the roster). */
  onPuppetsChanged?: () => void;
  /** The display name each puppet was made with (its nick template may use it). */
  private readonly displayNames = new Map<string, string>();
  /** Called when a connection drops (for the metrics). */
  onDropped?: (kind: 'bot' | 'puppet') => void;
  readonly limits: ConnectionLimits;
  /** Connect turns of every connection to this network. */
  readonly limiter: ConnectLimiter;
  private readonly idle: IdleSweeper;

  constructor(
    readonly id: string,
    readonly config: IrcNetworkConfig,
    private readonly log: Logger,
    /** The connection pool (`pool.redis`): connections are held there, not in this process. */
    private readonly pool?: PoolLink,
  ) {
    this.limits = connectionLimits(config);
    this.limiter = new ConnectLimiter(this.limits.maxConcurrentConnects);
    this.bot = new IrcConnection({
      network: config,
      nick: config.bot_nick,
      username: 'switchboard',
      gecos: 'Switchboard Matrix bridge',
      log: log.child({ irc: id, conn: 'bot' }),
      onNick: (old, nick) => this.trackNick(old, nick),
      limiter: this.limiter,
      listener: true,
      onDropped: () => this.onDropped?.('bot'),
      ...(config.bot_sasl ? { account: () => config.bot_sasl } : {}),
      ...(pool ? { pool: { link: pool, conn: botConnId(id), network: id } } : {}),
    });
    if (config.bot_sasl) watchBotLogin(this.bot, config.bot_sasl.account, log.child({ irc: id }));
    this.idle = new IdleSweeper({
      idleMs: this.limits.idleTimeoutMs,
      candidates: () => this.puppets.entries(),
      onIdle: (userId) => {
        this.log.info({ irc: this.id, userId }, 'IRC puppet idle: disconnecting it');
        this.removePuppet(userId, 'Idle on Matrix');
      },
    });
  }

  start(): void {
    this.idle.start();
    this.bot.connect();
    for (const channel of this.config.channels) this.joinBot(channel);
  }

  /** The bot joins `channel` (and rejoins it after reconnects); failures are logged, not thrown. */
  joinBot(channel: string): Promise<void> {
    return this.bot
      .join(channel)
      .catch((err: unknown) =>
        this.log.warn({ err, irc: this.id, channel }, 'the IRC bot could not join'),
      );
  }

  /**
   * Nicks our connections in the pool hold (its snapshot), known before they re-attach: what
   * IRC said meanwhile and the channels' NAMES must not take them for IRC users.
   */
  seedOurNicks(nicks: Iterable<string>): void {
    for (const nick of nicks) this.ourNicks.add(nick.toLowerCase());
  }

  isOurNick(nick: string): boolean {
    return this.ourNicks.has(nick.toLowerCase());
  }

  /** How many connections are registered and how many are not (connecting, or down and retrying). */
  connectionCounts(): Record<'bot' | 'puppet', { connected: number; down: number }> {
    const puppets = { connected: 0, down: 0 };
    for (const puppet of this.puppets.values())
      puppets[puppet.isRegistered ? 'connected' : 'down']++;
    const bot = this.bot.isRegistered ? { connected: 1, down: 0 } : { connected: 0, down: 1 };
    return { bot, puppet: puppets };
  }

  /** The Matrix user's own IRC connection, connecting it on first use. */
  puppetFor(userId: MatrixUserId, displayName: string): IrcConnection {
    let puppet = this.puppets.get(userId);
    if (!puppet) {
      this.makeRoom();
      const who = puppetIdentity(this.config.nick_template, userId, displayName);
      const extra = this.puppetOptions?.(userId) ?? {};
      puppet = new IrcConnection({
        network: this.config,
        nick: this.chosenNicks.get(userId) ?? who.nick,
        username: extra.username ?? who.username,
        ...(extra.localAddress ? { localAddress: extra.localAddress } : {}),
        gecos: userId,
        account: () => this.accounts.get(userId),
        log: this.log.child({ irc: this.id, conn: 'puppet', userId }),
        onNick: (old, nick) => this.trackNick(old, nick),
        limiter: this.limiter,
        onDropped: () => this.onDropped?.('puppet'),
        onChannels: () => this.onPuppetsChanged?.(),
        ...(this.pool
          ? {
              pool: {
                link: this.pool,
                conn: puppetConnId(this.id, userId),
                network: this.id,
                userId,
              },
            }
          : {}),
      });
      this.puppets.set(userId, puppet);
      this.displayNames.set(userId, displayName);
      this.onPuppet?.(userId, puppet);
      puppet.connect();
      this.onPuppetsChanged?.();
    }
    return puppet;
  }

  /**
   * At `max_puppets`, the puppet idle the longest (with no message waiting) QUITs so that a new
   * user can speak; its user's next message connects it again. When every puppet is busy the new
   * user is refused (not retriable: the admin's limit, not a passing outage).
   */
  private makeRoom(): void {
    const max = this.limits.maxPuppets;
    if (max <= 0 || this.puppets.size < max) return;
    const victim = idlest(this.puppets.entries());
    if (victim === undefined)
      throw new BridgeError(
        'rejected',
        `the bridge's connection limit on the IRC network ${this.id} (${max}) is reached, and every connection is in use`,
      );
    this.log.info(
      { irc: this.id, userId: victim, maxPuppets: max },
      'IRC connection limit reached: disconnecting the idle-most puppet',
    );
    this.removePuppet(victim, 'Idle on Matrix (making room)');
  }

  /** The bot's connection and every puppet's (the ident server looks through them). */
  *connections(): Generator<IrcConnection> {
    yield this.bot;
    yield* this.puppets.values();
  }

  /** Every puppet: its user, the display name it was made with, and the channels it should be in. */
  *puppetEntries(): Generator<{ userId: string; displayName: string; channels: string[] }> {
    for (const [userId, puppet] of this.puppets)
      yield {
        userId,
        displayName: this.displayNames.get(userId) ?? userId,
        channels: puppet.wantedChannels(),
      };
  }

  /** The Matrix user's connection, if they have one now. */
  puppet(userId: string): IrcConnection | undefined {
    return this.puppets.get(userId);
  }

  /** Disconnects the Matrix user's connection (a later message connects again); false if there was none. */
  removePuppet(userId: string, message: string): boolean {
    const puppet = this.puppets.get(userId);
    if (!puppet) return false;
    this.puppets.delete(userId);
    this.displayNames.delete(userId);
    puppet.stop(message);
    this.onPuppetsChanged?.();
    return true;
  }

  /** The Matrix user whose puppet holds `nick` now, if any. */
  puppetOwner(nick: string): MatrixUserId | undefined {
    for (const [userId, puppet] of this.puppets)
      if (puppet.isMe(nick)) return userId as MatrixUserId;
    return undefined;
  }

  /** The current nick of a Matrix user's puppet, if they have one on this network. */
  puppetNick(userId: string): string | undefined {
    return this.puppets.get(userId)?.nick;
  }

  get puppetCount(): number {
    return this.puppets.size;
  }

  stop(): void {
    this.onPuppetsChanged = undefined; // stopping is not leaving: the roster keeps them
    this.idle.stop();
    for (const puppet of this.puppets.values()) puppet.stop();
    this.puppets.clear();
    this.bot.stop();
  }

  private trackNick(old: string | undefined, nick: string | undefined): void {
    if (nick !== undefined) this.ourNicks.add(nick.toLowerCase());
    if (old === undefined) return;
    const lower = old.toLowerCase();
    if (nick !== undefined) {
      this.ourNicks.delete(lower);
      return;
    }
    // A dropped connection: the server tells the bot (QUIT) a little after we notice; keep the
    // nick as ours meanwhile, so that our own QUIT is not taken for an IRC user's.
    setTimeout(() => {
      if (![this.bot, ...this.puppets.values()].some((c) => c.isRegistered && c.isMe(old)))
        this.ourNicks.delete(lower);
    }, LOST_NICK_GRACE_MS).unref();
  }
}
