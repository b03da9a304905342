/**
 * The bridge's side of the pool: sends commands, reads the pool's events (consumer group
 * `bridge`) and hands each to the transport of its connection, in order. Events of a connection
 * no transport has claimed yet (after a restart, what IRC said while the bridge was down) wait
 * here, unacknowledged, until its transport claims them; an event leaves the stream only once
 * its transport has handled it. At start, the pool's protocol version is checked and its
 * snapshot (its live connections) read, so the bridge re-attaches to every one of them.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { IrcPoolConfig } from '../config.js';
import {
  COMMAND_GROUP,
  EVENT_GROUP,
  POOL_PROTOCOL_VERSION,
  decodeEntry,
  encodeEntry,
  poolKeys,
  type ConnState,
  type PoolAlive,
  type PoolCommand,
  type PoolEvent,
} from './protocol.js';
import { ackAndDelete, ensureGroup, GroupReader, redisClient } from './redis-streams.js';

/** What the link hands events to (one per connection id at a time). */
export interface PoolEventSink {
  deliver(event: PoolEvent, entryId: string): void;
  /** The bridge is stopping: the connection stays up in the pool; nothing more is sent. */
  detach(): void;
}

/** At stop, how long acknowledgements wait for core to store what was handed to it. */
const STOP_ACK_WAIT_MS = 5_000;

export class PoolLink {
  private readonly keys;
  private readonly writer: Redis;
  private readonly reader: Redis;
  private readonly sinks = new Map<string, PoolEventSink>();
  /** Events for connections no transport has claimed (yet), in stream order. */
  private readonly waiting = new Map<string, { event: PoolEvent; id: string }[]>();
  private running = false;
  private loop?: Promise<void>;
  private acks: string[] = [];
  private ackTimer?: NodeJS.Timeout;
  private refusedLogged = false;
  /**
   * Settles when what was handed to the bridge so far is stored by core: events are acknowledged
   * (and leave the stream) only then, so a crash of the bridge loses none of them.
   */
  storedGate: () => Promise<unknown> = () => Promise.resolve();

  constructor(
    readonly config: IrcPoolConfig,
    private readonly log: Logger,
  ) {
    this.keys = poolKeys(config.prefix);
    this.writer = redisClient(config.redis, log, 'irc-bridge');
    this.reader = redisClient(config.redis, log, 'irc-bridge-reader');
  }

  /** Connects, checks the pool's protocol version and returns its snapshot (live connections). */
  async start(): Promise<ConnState[]> {
    try {
      await this.writer.connect();
      await this.reader.connect();
    } catch (err) {
      throw new Error(
        `irc.pool.redis: cannot reach Redis (${(err as Error).message}); start Redis or fix the URL`,
      );
    }
    const alive = await this.writer.get(this.keys.alive);
    if (alive === null) {
      this.log.warn(
        { prefix: this.config.prefix },
        'no switchboard irc-pool is running on this Redis (prefix): IRC connections wait for it; start it with `switchboard irc-pool`',
      );
    } else {
      const { version } = JSON.parse(alive) as PoolAlive;
      if (version !== POOL_PROTOCOL_VERSION)
        throw new Error(
          `the running switchboard irc-pool speaks protocol version ${version}, this bridge ${POOL_PROTOCOL_VERSION}: restart the pool from this release (its connections then reconnect)`,
        );
    }
    await ensureGroup(this.writer, this.keys.commands, COMMAND_GROUP);
    await ensureGroup(this.writer, this.keys.events, EVENT_GROUP);
    const snapshot = await this.writer.hgetall(this.keys.connections);
    this.running = true;
    this.loop = this.readEvents();
    return Object.values(snapshot).map((json) => JSON.parse(json) as ConnState);
  }

  /** The transport of `conn` from now on; it gets the events that waited for it at once. */
  claim(conn: string, sink: PoolEventSink): void {
    this.sinks.set(conn, sink);
    const waited = this.waiting.get(conn);
    this.waiting.delete(conn);
    for (const { event, id } of waited ?? []) sink.deliver(event, id);
  }

  /** Events a closed transport had not handled: first in line for the connection's next one. */
  giveBack(conn: string, events: { event: PoolEvent; id: string }[]): void {
    if (events.length === 0) return;
    this.waiting.set(conn, [...events, ...(this.waiting.get(conn) ?? [])]);
  }

  release(conn: string, sink: PoolEventSink): void {
    if (this.sinks.get(conn) === sink) this.sinks.delete(conn);
  }

  send(command: PoolCommand): void {
    if (!this.running) return;
    this.writer
      .xadd(this.keys.commands, '*', ...encodeEntry(command))
      .catch((err: unknown) =>
        this.log.warn({ err, conn: command.conn }, 'a command to the IRC pool was not stored'),
      );
  }

  /** The event is handled: it leaves the stream (batched, a few ms later). */
  ack(id: string): void {
    this.acks.push(id);
    this.ackTimer ??= setTimeout(() => void this.flushAcks(), 5);
  }

  private async flushAcks(): Promise<void> {
    this.ackTimer = undefined;
    const ids = this.acks.splice(0);
    if (ids.length === 0) return;
    await this.storedGate().catch(() => undefined);
    await ackAndDelete(this.writer, this.keys.events, EVENT_GROUP, ids).catch((err: unknown) =>
      this.log.warn({ err }, 'acknowledging IRC pool events failed (they may be handled twice)'),
    );
  }

  /** The bridge stops: every connection stays up in the pool (no QUIT reaches IRC). */
  detachAll(): void {
    for (const sink of [...this.sinks.values()]) sink.detach();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.reader.disconnect();
    await this.loop?.catch(() => undefined);
    clearTimeout(this.ackTimer);
    // What is stored by now is acknowledged; the rest stays in the stream for the next start.
    const stored = await Promise.race([
      this.storedGate().then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), STOP_ACK_WAIT_MS).unref()),
    ]);
    if (stored) {
      this.storedGate = () => Promise.resolve();
      await this.flushAcks();
    }
    await this.writer.quit().catch(() => undefined);
  }

  private async readEvents(): Promise<void> {
    const reader = new GroupReader(this.reader, this.keys.events, EVENT_GROUP, 'bridge');
    const running = () => this.running;
    for (;;) {
      const entries = await reader.readRetrying(500, 2_000, running, (err) =>
        this.log.warn({ err }, 'reading the IRC pool events failed; retrying'),
      );
      if (!entries) return;
      for (const entry of entries) {
        const decoded = decodeEntry<PoolEvent>(entry.fields);
        if (!decoded.ok) {
          if (!this.refusedLogged)
            this.log.error(
              { version: decoded.version, expected: POOL_PROTOCOL_VERSION },
              `IRC pool: refusing its events: ${decoded.reason}`,
            );
          this.refusedLogged = true;
          continue; // left in the stream for a bridge that speaks its version
        }
        const event = decoded.message;
        if (event.type === 'refused') {
          this.log.error(
            { conn: event.conn },
            `the IRC pool refused a command: ${event.data.reason}`,
          );
          this.ack(entry.id);
          continue;
        }
        const sink = this.sinks.get(event.conn);
        if (sink) sink.deliver(event, entry.id);
        else {
          const list = this.waiting.get(event.conn) ?? [];
          list.push({ event, id: entry.id });
          this.waiting.set(event.conn, list);
        }
      }
    }
  }
}
