/**
 * An irc-framework transport that reaches IRC through the pool instead of a socket. The pool's
 * connection is already registered (just now, or long ago by an earlier bridge process), so the
 * local irc-framework client's registration is answered here from what the pool reports:
 * `CAP LS/REQ` from the caps it has, NICK/USER swallowed, then the server's welcome lines and a
 * JOIN for every channel the connection is in (for the listener, NAMES and TOPIC are asked again
 * so that the channel's state is fresh). The client then works as over a socket: every line it
 * writes is sent to the pool (PING answered here; the pool answers the server's), every line IRC
 * said reaches it in order, and events held while no bridge ran come after the registration.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { OpenCommand, PoolEvent, ReadyEvent } from './protocol.js';
import type { PoolEventSink, PoolLink } from './pool-link.js';
import { commandOf } from './held-connection.js';

/** What IrcConnection passes (as the `pool` connect option) for a connection through the pool. */
export interface PoolConnectOptions {
  link: PoolLink;
  conn: string;
  /** The listener (bot): NAMES and TOPIC of its channels are asked again after an attach. */
  listener: boolean;
  open: Omit<OpenCommand, 'nonce'>;
}

type State = 'waiting' | 'registering' | 'live' | 'closed';

export class PoolTransport extends EventEmitter implements PoolEventSink {
  private state: State = 'waiting';
  private ready?: ReadyEvent;
  private readyId?: string;
  private readonly nonce = randomBytes(6).toString('hex');
  /** Lines (with their entry ids) heard before the local registration is done. */
  private held: { line: string; id: string }[] = [];
  private readonly pool: PoolConnectOptions;

  constructor(options: { pool?: PoolConnectOptions }) {
    super();
    if (!options.pool) throw new Error('PoolTransport needs the pool option');
    this.pool = options.pool;
  }

  connect(): void {
    this.pool.link.claim(this.pool.conn, this);
    this.pool.link.send({
      type: 'open',
      conn: this.pool.conn,
      data: { ...this.pool.open, nonce: this.nonce },
    });
  }

  isConnected(): boolean {
    return this.state === 'registering' || this.state === 'live';
  }

  setEncoding(): boolean {
    return true;
  }

  disposeSocket(): void {
    this.pool.link.release(this.pool.conn, this);
  }

  writeLine(line: string, cb?: () => void): boolean {
    if (cb) setImmediate(cb);
    if (!this.isConnected()) return false;
    const command = commandOf(line);
    if (command === 'PING') {
      const token = line.slice(line.indexOf(' ') + 1).replace(/^:/, '');
      const pong = `:${this.server} PONG ${this.server} :${token}`;
      setImmediate(() => this.isConnected() && this.feed(pong));
      return true;
    }
    if (this.state === 'registering') {
      this.register(command, line);
      return true;
    }
    if (command === 'QUIT') {
      const message = line.replace(/^QUIT :?/i, '');
      this.pool.link.send({ type: 'quit', conn: this.pool.conn, data: { message } });
      return true;
    }
    this.pool.link.send({ type: 'send', conn: this.pool.conn, data: { line } });
    return true;
  }

  close(hadError?: boolean): void {
    this.closeLocally(hadError ? new Error('closed') : undefined);
  }

  detach(): void {
    this.closeLocally(undefined);
  }

  deliver(event: PoolEvent, entryId: string): void {
    switch (event.type) {
      case 'ready':
        if (this.state === 'waiting') {
          this.ready = event.data;
          this.readyId = entryId;
          this.state = 'registering';
          this.emit('open');
        } else this.pool.link.ack(entryId); // another attach's answer: nothing changes
        return;
      case 'line':
        if (this.state === 'live') {
          this.feed(event.data.line);
          this.pool.link.ack(entryId);
        } else if (this.state === 'closed')
          return; // the next transport gets it
        else this.held.push({ line: event.data.line, id: entryId });
        return;
      case 'closed': {
        const mine =
          this.state === 'waiting'
            ? event.data.nonces?.includes(this.nonce) === true
            : this.state !== 'closed' &&
              (event.data.gen === undefined || event.data.gen === this.ready?.gen);
        this.pool.link.ack(entryId);
        if (mine) this.closeLocally(new Error(event.data.error ?? 'the IRC connection closed'));
        return;
      }
      case 'refused':
        this.pool.link.ack(entryId);
        return;
    }
  }

  private get server(): string {
    return this.ready?.server ?? 'irc.pool';
  }

  private feed(line: string): void {
    this.emit('line', line);
  }

  /**
   * The local client's registration, answered from what the pool said. Answers come on a later
   * turn, as from a socket: irc-framework writes CAP LS, NICK and USER in one go, and all of them
   * must be seen (and swallowed) before the registration is done.
   */
  private register(command: string, line: string): void {
    const ready = this.ready!;
    if (command === 'CAP') {
      const [, sub, rest] = /^CAP (\S+)(?: :?(.*))?$/i.exec(line) ?? [];
      switch (sub?.toUpperCase()) {
        case 'LS': {
          const offered = ready.available
            .split(' ')
            .filter((c) => c && !c.startsWith('sasl')) // the pool logged in already
            .join(' ');
          this.later(`:${this.server} CAP * LS :${offered}`);
          return;
        }
        case 'REQ': {
          const asked = (rest ?? '').split(' ').filter(Boolean);
          const acked = asked.filter((c) => ready.enabled.includes(c));
          const naked = asked.filter((c) => !ready.enabled.includes(c));
          if (acked.length > 0) this.later(`:${this.server} CAP * ACK :${acked.join(' ')}`);
          if (naked.length > 0) this.later(`:${this.server} CAP * NAK :${naked.join(' ')}`);
          return;
        }
        case 'END':
          setImmediate(() => this.finishRegistration());
          return;
      }
      return;
    }
    // NICK, USER, PASS, AUTHENTICATE: the pool registered the connection already.
  }

  private later(line: string): void {
    setImmediate(() => this.state === 'registering' && this.feed(line));
  }

  private finishRegistration(): void {
    if (this.state !== 'registering') return;
    const ready = this.ready!;
    this.state = 'live';
    for (const line of ready.welcome) this.feed(withTarget(line, ready.nick));
    for (const channel of ready.channels) {
      this.feed(`:${ready.nick}!${this.pool.open.username}@pool JOIN ${channel}`);
      if (this.pool.listener) {
        this.pool.link.send({
          type: 'send',
          conn: this.pool.conn,
          data: { line: `TOPIC ${channel}` },
        });
        this.pool.link.send({
          type: 'send',
          conn: this.pool.conn,
          data: { line: `NAMES ${channel}` },
        });
      }
    }
    if (this.readyId) this.pool.link.ack(this.readyId);
    for (const { line, id } of this.held.splice(0)) {
      if (this.state !== 'live') return;
      this.feed(line);
      this.pool.link.ack(id);
    }
  }

  private closeLocally(err: Error | undefined): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.pool.link.release(this.pool.conn, this);
    // Lines held back (not acknowledged) go to the connection's next transport (or next bridge).
    const conn = this.pool.conn;
    this.pool.link.giveBack(
      conn,
      this.held
        .splice(0)
        .map(({ line, id }) => ({ event: { type: 'line', conn, data: { line } }, id })),
    );
    setImmediate(() => this.emit('close', err));
  }
}

/** A numeric's first parameter (its target) set to the connection's nick now. */
function withTarget(line: string, nick: string): string {
  return line.replace(/^((?:@\S+ )?:\S+ \d{3} )\S+/, `$1${nick}`);
}
