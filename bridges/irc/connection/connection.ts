/**
 * One IRC connection (irc-framework Client): registration with nick-collision handling,
 * reconnect with capped, jittered exponential backoff (backoff.ts) through the network's connect
 * limiter (connect-limiter.ts), channels rejoined after a reconnect, and line sending through
 * flood control (in order). While the connection is down, messages wait for it (irc-framework's
 * write() would drop a line silently), in order, within the network's `queue_while_down` bounds
 * (waiting.ts); past them they fail, retriable. The channels it should be in and is in are
 * connection-channels.ts, what it asks irc-framework's connect for connect-options.ts.
 * Registration, CAP and PONG lines are irc-framework's own and skip the queue (they must never
 * wait behind a burst of messages). Where the server offers IRCv3 `labeled-response`, message
 * lines carry a label and a send waits for the server's answer to each (labels.ts), so that a
 * refused message fails instead of vanishing.
 */
import IRC, { type Client, type IrcLine } from 'irc-framework';
import type { Logger } from 'pino';
import { BridgeError } from '../../../src/connector.js';
import { backoffDelay } from './backoff.js';
import { certificateProblem, untrustedError } from './cert-problem.js';
import type { IrcNetworkConfig } from '../config.js';
import { ConnectLimiter, type ConnectTurn } from './connect-limiter.js';
import { connectionLimits } from './connection-limits.js';
import { DownWaiters } from './waiting.js';
import { FloodQueue } from './flood.js';
import { answered, LabeledReplies } from './labels.js';
import { assertSingleLines, CAPS, withTag } from './lines.js';
import { nextNick } from './nicks.js';
import { joinConfirmed } from './requests.js';
import { connectOptions } from './connect-options.js';
import { ConnectionChannels } from './connection-channels.js';
import type { PoolLink } from '../pool/pool-link.js';

const JOIN_TIMEOUT_MS = 15_000;
/** For a connection made without a network limiter (every connect starts at once). */
const NO_LIMIT = new ConnectLimiter(0);

/** An IRC services account (SASL PLAIN). */
export interface SaslAccount {
  account: string;
  password: string;
}

export interface ConnectionOptions {
  network: IrcNetworkConfig;
  nick: string;
  username: string;
  gecos: string;
  /** SASL PLAIN credentials, asked for at each (re)connect; read when connecting, so a change applies on the next one. */
  account?: () => SaslAccount | undefined;
  log: Logger;
  /**
   * The nick this connection holds on the server changed: registered (`old` undefined), NICK,
   * or lost on disconnect (`nick` undefined). Nicks only tried during registration are not reported.
   */
  onNick?(old: string | undefined, nick: string | undefined): void;
  /** Registered (again): channels are being rejoined. */
  onRegistered?(): void;
  /** The registered connection dropped (not a stop or a reconnect asked for): it reconnects with backoff. */
  onDropped?(): void;
  /** The local address to connect from (a per-user IPv6 address); the system's choice when absent. */
  localAddress?: string;
  /** The network's connect turns (at most so many connecting at once); none: connect at once. */
  limiter?: ConnectLimiter;
  /** Goes ahead of the waiting connections for a connect turn, and any number may wait for it (the bot). */
  listener?: boolean;
  /** The channels this connection should be in changed (joined or left on the Matrix user's behalf). */
  onChannels?(): void;
  /** Through the connection pool (`pool.redis`): the link and this connection's id there. */
  pool?: { link: PoolLink; conn: string; network: string; userId?: string };
}

export class IrcConnection {
  readonly client: Client;
  /** Channels this connection should be in (rejoined after a reconnect) and is in now. */
  private readonly channels = new ConnectionChannels();
  private readonly out: FloodQueue;
  /** The server's answers to our labeled message lines. */
  private readonly replies = new LabeledReplies();
  private stopped = false;
  /** Reconnect at once on the next close (a `reconnect()` asked for it). */
  private reconnectNow = false;
  /** The nick asked for at each (re)connect: the template's, or the one the user chose. */
  private wantedNick: string;
  private attempt = 0;
  private retryTimer?: NodeJS.Timeout;
  private registered = false;
  /** Messages waiting for the connection to be up. */
  private readonly waiters: DownWaiters;
  /** The connect turn asked for or held, from connect() until registered or closed. */
  private turn?: ConnectTurn;
  /** When the Matrix user last sent something through this connection (the idle sweep reads it). */
  lastActive = Date.now();
  /** Why the last TLS handshake failed on the server's certificate (cleared once registered). */
  private certProblem?: string;
  private currentNick?: string;
  /** The nick the server gave us, while registered. */
  private heldNick?: string;

  constructor(private readonly opts: ConnectionOptions) {
    this.wantedNick = opts.nick;
    this.waiters = new DownWaiters(connectionLimits(opts.network), opts.network.host);
    this.client = new IRC.Client();
    this.out = new FloodQueue((line) => this.client.raw(line), {
      linesPerSecond: opts.network.flood.lines_per_second,
      burst: opts.network.flood.burst,
    });
    this.client.requestCap(CAPS);
    // Every parsed line, as it arrives: a labeled batch's lines are seen here before irc-framework
    // holds them back until the batch ends.
    this.client.connection.on('message', (line: IrcLine) => this.replies.heard(line));
    this.client.on('nick in use', (e: { nick: string }) => {
      if (this.registered) return;
      const next = nextNick(e.nick);
      this.opts.log.info({ nick: e.nick, next }, 'IRC nick in use; trying another');
      this.currentNick = next;
      this.client.changeNick(next);
    });
    this.client.on('registered', (e: { nick: string }) => {
      this.registered = true;
      this.attempt = 0;
      this.releaseTurn();
      this.certProblem = undefined;
      this.setNick(e.nick);
      this.opts.log.info({ nick: e.nick }, 'IRC connection registered');
      for (const line of this.channels.rejoinLines()) this.sendQuietly(line);
      this.opts.onRegistered?.();
      this.waiters.up();
    });
    this.client.on('nick', (e: { nick: string; new_nick: string }) => {
      if (e.nick === this.currentNick) this.setNick(e.new_nick);
    });
    this.channels.follow(this.client, (nick) => this.isMe(nick));
    this.client.on('socket close', (err: unknown) => this.onSocketClose(err));
    this.client.on('close', () => this.onClose());
    this.client.on('socket error', (err: unknown) =>
      this.opts.log.warn({ err }, 'IRC socket error'),
    );
  }

  get username(): string {
    return this.opts.username;
  }

  get nick(): string {
    return this.currentNick ?? this.wantedNick;
  }

  /** The nick to ask for at the next (re)connect. */
  preferNick(nick: string): void {
    this.wantedNick = nick;
  }

  get isRegistered(): boolean {
    return this.registered && this.client.connected;
  }

  isMe(nick: string): boolean {
    return nick.toLowerCase() === this.nick.toLowerCase();
  }

  /** Messages are waiting for this connection, for flood control or for the server's answer: it must not be quit under them. */
  get busy(): boolean {
    return this.waiters.count > 0 || this.out.waiting > 0 || this.replies.pending > 0;
  }

  /** Connects when the network's limiter gives a turn (no-op while a connect is already asked for or under way). */
  connect(): void {
    if (this.stopped || this.turn) return;
    this.waiters.down();
    const limiter = this.opts.limiter ?? NO_LIMIT;
    this.turn = limiter.acquire(() => this.open(), { first: this.opts.listener === true });
  }

  private releaseTurn(): void {
    this.turn?.release();
    this.turn = undefined;
  }

  private open(): void {
    this.currentNick = this.wantedNick;
    this.client.connect(connectOptions(this.opts, this.wantedNick, () => this.nick));
  }

  /**
   * Resolves once registered. While down, waits in order with the other waiting messages
   * (waiting.ts), or until `timeoutMs` if given.
   */
  ready(timeoutMs?: number): Promise<void> {
    if (this.isRegistered) return Promise.resolve();
    if (this.stopped)
      return Promise.reject(new BridgeError('not-connected', 'the IRC connection is closed', true));
    if (this.certProblem) return Promise.reject(this.certError(this.certProblem));
    return this.waiters.wait(timeoutMs, !this.opts.listener);
  }

  /** Joins `channel` (with its key, if it has one; both remembered for reconnects) and resolves when the server confirms. */
  async join(channel: string, key?: string): Promise<void> {
    if (this.channels.want(channel, key)) this.opts.onChannels?.();
    this.lastActive = Date.now();
    await this.ready();
    if (this.channels.isIn(channel)) return;
    const joined = joinConfirmed(this, channel, JOIN_TIMEOUT_MS);
    this.sendQuietly(this.channels.joinLine(channel));
    await joined;
  }

  /** Leaves `channel` and forgets it for reconnects (a Matrix user left its room). */
  part(channel: string, message: string): void {
    const lower = channel.toLowerCase();
    if (this.channels.unwant(lower)) this.opts.onChannels?.();
    if (!this.channels.isIn(lower) || !this.isRegistered) return;
    // The reason comes from Matrix: one line, never a second command.
    const reason = message.replace(/[\r\n\0]+/g, ' ').slice(0, 200);
    this.sendQuietly(`PART ${lower} :${reason}`);
  }

  /** The channels (lowercased) this connection should be in: it rejoins them after a reconnect. */
  wantedChannels(): string[] {
    return this.channels.wantedList();
  }

  inChannelNow(channel: string): boolean {
    return this.channels.isIn(channel);
  }

  /**
   * Sends whole IRC lines (each free of CR, LF and NUL) through flood control, in order.
   * While disconnected the lines wait for the connection (see `ready`); the promise resolves
   * when the last line is written and rejects (not-connected, retriable) if the connection
   * closes before that. `onWritten(i)` is called as line `i` is written.
   */
  async writeLines(lines: readonly string[], onWritten?: (index: number) => void): Promise<void> {
    assertSingleLines(lines);
    this.lastActive = Date.now();
    if (!this.isRegistered) await this.ready();
    await Promise.all(
      lines.map((line, i) => {
        const sent = this.out.send(line);
        return onWritten ? sent.then(() => onWritten(i)) : sent;
      }),
    );
  }

  /**
   * Sends message lines (PRIVMSG, NOTICE) like `writeLines`, resolving once they are written.
   * Where the server has acknowledged `labeled-response`, each line carries a label and `answered`
   * settles once the server has answered every one (labels.ts `answered`): the msgids it gave
   * them, or a BridgeError (`rejected`) naming the lines IRC refused. Elsewhere `answered`
   * resolves at once.
   */
  async sendMessages(lines: readonly string[]): Promise<{ answered: Promise<string[]> }> {
    assertSingleLines(lines); // before any label is handed out
    if (!this.isRegistered) await this.ready();
    if (!this.client.network.cap.enabled.includes('labeled-response')) {
      await this.writeLines(lines);
      return { answered: Promise.resolve([]) };
    }
    // A label is a tag, outside IRC's 512-byte line budget; the lines keep their order in the queue.
    const labels = lines.map(() => this.replies.next());
    const settled = answered(
      labels.map((l) => l.answer),
      this.opts.log,
    );
    // Nobody may be listening when the writes fail: the caller then hears of that instead.
    settled.catch(() => {});
    await this.writeLines(
      lines.map((line, i) => withTag(line, `label=${labels[i]!.label}`)),
      (i) => this.replies.written(labels[i]!.label),
    );
    return { answered: settled };
  }

  /** Drops the connection and connects again at once (the user asked; no backoff). */
  reconnect(): void {
    if (this.stopped) throw new BridgeError('not-connected', 'the IRC connection is closed');
    this.attempt = 0;
    this.registered = false; // ready() now waits for the new registration
    if (this.client.connected) {
      this.reconnectNow = true;
      this.client.quit('Reconnecting');
      return;
    }
    clearTimeout(this.retryTimer);
    this.connect(); // a connect already waiting for its turn or under way is not started twice
  }

  /** A tag-only line (TAGMSG typing) in order with the rest; dropped while disconnected. */
  writeTag(line: string): void {
    if (/[\r\n\0]/.test(line) || !this.isRegistered) return;
    this.sendQuietly(line);
  }

  /** A line of our own (JOIN) through flood control; a failure is logged, not thrown. */
  private sendQuietly(line: string): void {
    this.out.send(line).catch((err: unknown) =>
      // The command and its target only: a JOIN's third word is the channel's key.
      this.opts.log.debug({ err, line: line.split(' ', 2).join(' ') }, 'IRC line not sent'),
    );
  }

  stop(message = 'Switchboard is shutting down'): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.releaseTurn();
    const closed = new BridgeError('not-connected', 'the IRC connection was closed', true);
    this.waiters.fail(closed);
    this.out.clear(closed);
    this.replies.closed();
    if (this.client.connected) this.client.quit(message);
    this.client.removeAllListeners();
    this.setNick(undefined);
  }

  /** The server confirmed `nick` as ours (undefined: we hold none, after a disconnect). */
  private setNick(nick: string | undefined): void {
    if (nick !== undefined) this.currentNick = nick;
    const old = this.heldNick;
    if (old === nick) return;
    this.heldNick = nick;
    this.opts.onNick?.(old, nick);
  }

  /** The socket closed (irc-framework passes the socket error, if any): a certificate problem is reported. */
  private onSocketClose(err: unknown): void {
    const problem = certificateProblem(err);
    if (!problem) return;
    this.certProblem = problem;
    const { host, port } = this.opts.network;
    this.opts.log.error(
      { host, port, code: (err as { code?: string }).code },
      `IRC server ${host}:${port}: TLS certificate not trusted (${problem}); set tls_ca_file to the CA that signed it`,
    );
    this.waiters.fail(this.certError(problem));
  }

  private certError(problem: string): BridgeError {
    return untrustedError(this.opts.network.host, this.opts.network.port, problem);
  }

  private onClose(): void {
    const wasRegistered = this.registered;
    this.registered = false;
    this.releaseTurn();
    this.waiters.down();
    this.setNick(undefined);
    this.channels.closed();
    this.replies.closed();
    this.out.clear(
      new BridgeError(
        'not-connected',
        'the IRC connection dropped before the message was sent',
        true,
      ),
    );
    if (this.stopped) return;
    if (this.reconnectNow) {
      this.reconnectNow = false;
      this.connect();
      return;
    }
    if (wasRegistered) this.opts.onDropped?.(); // a failed attempt is not another drop
    const delay = backoffDelay(this.attempt);
    this.attempt++;
    this.opts.log.warn(
      { attempt: this.attempt, delayMs: Math.round(delay) },
      'IRC connection closed; reconnecting',
    );
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
}

export { certificateProblem } from './cert-problem.js';
