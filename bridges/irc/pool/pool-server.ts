/**
 * The pool process (`switchboard irc-pool`): holds the IRC connections the bridge asks for and
 * outlives the bridge's restarts. It reads the bridge's commands from Redis (consumer group
 * `pool`), writes what IRC says into the event stream (read by the bridge's group `bridge`, kept
 * until the bridge acknowledges it), keeps the snapshot of its live connections in a hash, and
 * a heartbeat key naming its protocol version. Connections are never reconnected here: a
 * connection that closes is reported and forgotten, and the bridge opens it again.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { IdentServer, OurSocket } from '../ident/ident-server.js';
import { serveIdent, type IdentConfig } from '../ident/start.js';
import { HeldConnection } from './held-connection.js';
import { poolMetrics, type PoolMetrics } from './pool-metrics.js';
import {
  ALIVE_TTL_SECONDS,
  COMMAND_GROUP,
  EVENT_GROUP,
  POOL_PROTOCOL_VERSION,
  decodeEntry,
  encodeEntry,
  poolKeys,
  type OpenCommand,
  type PoolCommand,
  type PoolEvent,
} from './protocol.js';
import { ackAndDelete, ensureGroup, GroupReader, redisClient } from './redis-streams.js';

export interface IrcPoolOptions {
  redis: string;
  prefix: string;
  log: Logger;
  /** `ident.enabled`: the pool holds the sockets, so the pool answers the IRC servers' ident queries. */
  ident?: IdentConfig;
}

export class IrcPool {
  private readonly keys;
  private readonly writer: Redis;
  private readonly reader: Redis;
  private readonly conns = new Map<string, HeldConnection>();
  private running = false;
  private heartbeat?: NodeJS.Timeout;
  private loop?: Promise<void>;
  private ident?: IdentServer;
  readonly metrics: PoolMetrics;
  private readonly since = new Date().toISOString();

  constructor(private readonly opts: IrcPoolOptions) {
    this.keys = poolKeys(opts.prefix);
    this.writer = redisClient(opts.redis, opts.log, 'irc-pool');
    this.reader = redisClient(opts.redis, opts.log, 'irc-pool-reader');
    this.metrics = poolMetrics(
      () => this.counts(),
      () => this.writer.xlen(this.keys.events),
    );
  }

  get redisReady(): boolean {
    return this.writer.status === 'ready';
  }

  counts(): { registered: number; connecting: number } {
    let registered = 0;
    for (const c of this.conns.values()) if (c.isReady) registered++;
    return { registered, connecting: this.conns.size - registered };
  }

  async start(): Promise<void> {
    if (this.opts.ident?.enabled)
      // Listening before any connection is made: a server asks while it registers one.
      this.ident = await serveIdent(
        this.opts.ident,
        () =>
          [...this.conns.values()].map((c): [string, OurSocket | undefined] => [
            c.username,
            c.socket(),
          ]),
        this.opts.log,
        (answer) => this.metrics.identAnswers.inc({ answer }),
      );
    await this.writer.connect();
    await this.reader.connect();
    await ensureGroup(this.writer, this.keys.commands, COMMAND_GROUP);
    await ensureGroup(this.writer, this.keys.events, EVENT_GROUP);
    // Connections of an earlier pool process died with it: a bridge attached to them hears so.
    const stale = await this.writer.hkeys(this.keys.connections);
    for (const conn of stale)
      await this.emit({ type: 'closed', conn, data: { error: 'the IRC pool restarted' } });
    await this.writer.del(this.keys.connections);
    await this.beat();
    this.heartbeat = setInterval(
      () => void this.beat().catch(() => undefined),
      (ALIVE_TTL_SECONDS * 1000) / 3,
    );
    this.running = true;
    this.loop = this.readCommands();
    this.opts.log.info(
      { prefix: this.opts.prefix, protocol: POOL_PROTOCOL_VERSION, stale: stale.length },
      'IRC pool running',
    );
  }

  /** Quits every connection (the pool itself stops: IRC sees them go). */
  async stop(message = 'Switchboard IRC pool is shutting down'): Promise<void> {
    this.running = false;
    clearInterval(this.heartbeat);
    this.reader.disconnect();
    await this.loop?.catch(() => undefined);
    for (const conn of [...this.conns.values()]) conn.quit(message);
    await this.ident?.stop();
    await this.writer.del(this.keys.alive).catch(() => undefined);
    await this.writer.quit().catch(() => undefined);
  }

  private async beat(): Promise<void> {
    const alive = { version: POOL_PROTOCOL_VERSION, pid: process.pid, since: this.since };
    await this.writer.set(this.keys.alive, JSON.stringify(alive), 'EX', ALIVE_TTL_SECONDS);
  }

  private async readCommands(): Promise<void> {
    const reader = new GroupReader(this.reader, this.keys.commands, COMMAND_GROUP, 'pool');
    const running = () => this.running;
    for (;;) {
      const entries = await reader.readRetrying(200, 2_000, running, (err) =>
        this.opts.log.warn({ err }, 'reading the bridge commands failed; retrying'),
      );
      if (!entries) return;
      const done: string[] = [];
      for (const entry of entries) {
        const decoded = decodeEntry<PoolCommand>(entry.fields);
        if (decoded.ok) this.handle(decoded.message);
        else {
          this.metrics.refused.inc();
          this.opts.log.error(
            { version: decoded.version, expected: POOL_PROTOCOL_VERSION },
            `IRC pool: refusing a bridge command: ${decoded.reason}`,
          );
          const conn = entry.fields[entry.fields.indexOf('conn') + 1] ?? '';
          await this.emit({ type: 'refused', conn, data: { reason: decoded.reason } });
        }
        done.push(entry.id);
      }
      // Handled commands leave the stream at once (an `open` may carry a SASL password).
      await ackAndDelete(this.writer, this.keys.commands, COMMAND_GROUP, done).catch(
        (err: unknown) => this.opts.log.warn({ err }, 'acknowledging commands failed'),
      );
    }
  }

  private handle(command: PoolCommand): void {
    this.metrics.commands.inc({ type: command.type });
    const conn = this.conns.get(command.conn);
    switch (command.type) {
      case 'open':
        this.open(command.conn, command.data, conn);
        return;
      case 'send':
        if (conn?.write(command.data.line)) this.metrics.lines.inc({ direction: 'to_irc' });
        return;
      case 'quit':
        if (!conn) return;
        // Forgotten at once: an `open` right behind this quit makes a new connection.
        this.conns.delete(command.conn);
        void this.writer.hdel(this.keys.connections, command.conn).catch(() => undefined);
        conn.quit(command.data.message);
        return;
    }
  }

  private open(id: string, open: OpenCommand, live?: HeldConnection): void {
    if (live?.isReady) {
      // A bridge (re-)attaches: the connection stays as it is.
      void this.emit({
        type: 'ready',
        conn: id,
        data: { ...live.readyState(), attached: true, gen: live.gen },
      });
      return;
    }
    if (live) {
      if (open.nonce) live.opening.add(open.nonce); // registering: its `ready` answers this open too
      return;
    }
    const log = this.opts.log.child({ conn: id });
    const conn: HeldConnection = new HeldConnection(
      id,
      open,
      {
        onReady: (ready) => {
          conn.opening.clear();
          void this.emit({
            type: 'ready',
            conn: id,
            data: { ...ready, attached: false, gen: conn.gen },
          });
          this.saveState(conn);
          log.info({ nick: ready.nick }, 'IRC connection registered');
        },
        onLine: (line) => {
          this.metrics.lines.inc({ direction: 'from_irc' });
          void this.emit({ type: 'line', conn: id, data: { line } });
        },
        onClosed: (error) => {
          if (this.conns.get(id) === conn) this.conns.delete(id);
          const nonces = [...conn.opening];
          void this.emit({
            type: 'closed',
            conn: id,
            data: { ...(error ? { error } : {}), gen: conn.gen, nonces },
          });
          if (!this.conns.has(id))
            void this.writer.hdel(this.keys.connections, id).catch(() => undefined);
          log.info({ error }, 'IRC connection closed');
        },
        onState: () => this.saveState(conn),
      },
      log,
    );
    if (open.nonce) conn.opening.add(open.nonce);
    this.conns.set(id, conn);
    conn.connect();
  }

  private saveState(conn: HeldConnection): void {
    if (this.conns.get(conn.id) !== conn) return;
    void this.writer
      .hset(this.keys.connections, conn.id, JSON.stringify(conn.state()))
      .catch((err: unknown) => this.opts.log.warn({ err }, 'storing the pool snapshot failed'));
  }

  private emit(event: PoolEvent): Promise<void> {
    return this.writer
      .xadd(this.keys.events, '*', ...encodeEntry(event))
      .then(() => undefined)
      .catch((err: unknown) =>
        this.opts.log.error({ err, conn: event.conn }, 'IRC pool: an event was not stored'),
      );
  }
}
