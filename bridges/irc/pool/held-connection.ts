/**
 * One IRC connection held by the pool process: irc-framework registers it (nick collisions, SASL,
 * IRCv3 caps, PING/PONG while no bridge is attached), keeps the server's registration lines for
 * bridges that attach later, tracks its nick and channels, and hands every later line from the
 * server (but PING/PONG, which it answers itself) to `onLine`. It never reconnects: when it
 * closes, the bridge decides (with its own backoff) whether to open it again.
 */
import { randomBytes } from 'node:crypto';
import IRC, { type Client } from 'irc-framework';
import type { Logger } from 'pino';
import { nextNick } from '../connection/nicks.js';
import { CaTlsTransport } from '../connection/tls-transport.js';
import type { OurSocket } from '../ident/ident-server.js';
import { forwardsToPuppet } from './forward.js';
import type { ConnState, OpenCommand, ReadyEvent } from './protocol.js';

/** After 001, how long to wait for the end of the MOTD before calling the connection ready anyway. */
const MOTD_WAIT_MS = 5_000;
const NOT_FORWARDED = new Set(['PING', 'PONG']);
const NOT_KEPT = new Set(['PING', 'PONG', 'CAP', 'AUTHENTICATE']);

export interface HeldConnectionEvents {
  onReady(ready: Omit<ReadyEvent, 'attached' | 'gen'>): void;
  onLine(line: string): void;
  /** Closed (by the server, a failed connect, or `quit`); `error` says why, when known. */
  onClosed(error: string | undefined): void;
  /** Nick or channels changed (the snapshot follows). */
  onState(): void;
}

export class HeldConnection {
  /** This connection's generation: a connection opened again under the same id gets another. */
  readonly gen = randomBytes(6).toString('hex');
  /** The bridge's `open` attempts waiting for this connection to be ready (told if it closes first). */
  readonly opening = new Set<string>();
  private readonly client: Client;
  private readonly welcome: string[] = [];
  private readonly channels = new Set<string>();
  private ready = false;
  private registeredAt = false;
  private closed = false;
  private motdTimer?: NodeJS.Timeout;
  private lastError?: string;

  constructor(
    readonly id: string,
    readonly open: OpenCommand,
    private readonly events: HeldConnectionEvents,
    private readonly log: Logger,
  ) {
    this.client = new IRC.Client();
    this.client.requestCap(open.caps);
    this.client.on('raw', (e: { line: string; from_server: boolean }) => {
      if (e.from_server) this.heard(e.line);
    });
    this.client.on('nick in use', (e: { nick: string }) => {
      if (this.registeredAt) return;
      this.client.changeNick(nextNick(e.nick));
    });
    this.client.on('registered', () => {
      this.registeredAt = true;
      this.motdTimer = setTimeout(() => this.becomeReady(), MOTD_WAIT_MS);
    });
    this.client.on('join', (e: { nick: string; channel: string }) => {
      if (this.isMe(e.nick)) this.changed(() => this.channels.add(e.channel.toLowerCase()));
    });
    this.client.on('part', (e: { nick: string; channel: string }) => {
      if (this.isMe(e.nick)) this.changed(() => this.channels.delete(e.channel.toLowerCase()));
    });
    this.client.on('kick', (e: { kicked: string; channel: string }) => {
      if (this.isMe(e.kicked)) this.changed(() => this.channels.delete(e.channel.toLowerCase()));
    });
    this.client.on('nick', () => this.ready && this.events.onState());
    this.client.on('socket error', (err: Error) => {
      this.lastError = err.message;
      this.log.warn({ err, conn: id }, 'IRC socket error');
    });
    this.client.on('close', () => this.onClose());
  }

  connect(): void {
    const o = this.open;
    this.client.connect({
      host: o.host,
      port: o.port,
      tls: o.tls,
      rejectUnauthorized: o.rejectUnauthorized,
      ca: o.ca,
      transport: CaTlsTransport,
      nick: o.nick,
      username: o.username,
      gecos: o.gecos,
      ...(o.localAddress ? { outgoing_addr: o.localAddress } : {}),
      // A puppet's channel chatter is never forwarded: dropped before irc-framework parses it.
      ...(o.forward === 'own'
        ? { keepLine: (line: string) => forwardsToPuppet(line, this.nick) }
        : {}),
      auto_reconnect: false, // the bridge decides
      version: null,
      ...(o.account ? { account: o.account } : {}),
    });
  }

  get isReady(): boolean {
    return this.ready && !this.closed;
  }

  get nick(): string {
    return this.client.user.nick;
  }

  /** The username it registered with (what the ident server answers for its socket). */
  get username(): string {
    return this.open.username;
  }

  /** Its socket, while there is one (the ident server finds it by its ports). */
  socket(): OurSocket | undefined {
    const transport = (
      this.client.connection as unknown as { transport?: { socket?: OurSocket | null } }
    ).transport;
    return transport?.socket ?? undefined;
  }

  /** What a bridge attaching now needs to know. */
  readyState(): Omit<ReadyEvent, 'attached' | 'gen'> {
    const cap = (this.client.network as unknown as { cap: { available: Map<string, string> } }).cap;
    const available = [...cap.available].map(([k, v]) => (v ? `${k}=${v}` : k)).join(' ');
    return {
      nick: this.nick,
      server: (this.client.network as unknown as { server?: string }).server ?? 'irc.pool',
      available,
      enabled: [...this.client.network.cap.enabled],
      welcome: [...this.welcome],
      channels: [...this.channels],
    };
  }

  state(): ConnState {
    return {
      network: this.open.network,
      kind: this.open.kind,
      ...(this.open.userId ? { userId: this.open.userId } : {}),
      nick: this.nick,
      registered: this.isReady,
      channels: [...this.channels],
    };
  }

  /** Writes one line (the bridge checked it: no CR, LF or NUL). */
  write(line: string): boolean {
    if (this.closed || !this.client.connected) return false;
    this.client.raw(line);
    return true;
  }

  quit(message: string): void {
    if (this.closed) return;
    if (this.client.connected) this.client.quit(message);
    else this.onClose();
  }

  private isMe(nick: string): boolean {
    return nick.toLowerCase() === this.nick.toLowerCase();
  }

  private changed(change: () => void): void {
    change();
    if (this.ready) this.events.onState();
  }

  private heard(line: string): void {
    const command = commandOf(line);
    if (!this.ready) {
      if (!NOT_KEPT.has(command)) this.welcome.push(line);
      if (this.registeredAt && (command === '376' || command === '422')) this.becomeReady();
      return;
    }
    if (NOT_FORWARDED.has(command)) return;
    if (this.open.forward === 'own' && !forwardsToPuppet(line, this.nick)) return;
    this.events.onLine(line);
  }

  private becomeReady(): void {
    clearTimeout(this.motdTimer);
    if (this.ready || this.closed) return;
    this.ready = true;
    this.events.onReady(this.readyState());
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.motdTimer);
    this.client.removeAllListeners();
    this.events.onClosed(this.lastError);
  }
}

/** The command of a raw IRC line (`PRIVMSG`, `001`…), past its tags and prefix. */
export function commandOf(line: string): string {
  let rest = line;
  if (rest.startsWith('@')) rest = rest.slice(rest.indexOf(' ') + 1);
  if (rest.startsWith(':')) rest = rest.slice(rest.indexOf(' ') + 1);
  const end = rest.indexOf(' ');
  return (end < 0 ? rest : rest.slice(0, end)).toUpperCase();
}
