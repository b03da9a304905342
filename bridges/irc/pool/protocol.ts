/**
 * The wire protocol between the IRC bridge and its connection pool (`switchboard irc-pool`),
 * over Redis Streams. Bridge → pool: one command stream (consumer group `pool`); pool → bridge:
 * one event stream (consumer group `bridge`). An entry stays in its stream until the reader has
 * handled it and acknowledged it (then it is deleted), so what IRC said while the bridge was down
 * waits there, in order, for the next bridge. Every entry carries the protocol version (`v`): a
 * reader refuses entries of another version (and says so), and the bridge refuses to start
 * against a pool of another version (the pool's `alive` key names it).
 * The pool also keeps a snapshot of its live connections (a hash: connection id → ConnState) that
 * a starting bridge reads to re-attach to every one of them instead of connecting anew.
 */

/** Bumped on any incompatible change of the commands, events or snapshot below. */
export const POOL_PROTOCOL_VERSION = 1;

/** The Redis key names under a prefix (`pool.prefix`, default `switchboard:irc-pool`). */
export function poolKeys(prefix: string) {
  return {
    commands: `${prefix}:commands`,
    events: `${prefix}:events`,
    /** Hash: connection id → JSON ConnState (the pool's live connections). */
    connections: `${prefix}:connections`,
    /** The running pool's heartbeat (JSON PoolAlive), with a TTL: absent when no pool runs. */
    alive: `${prefix}:alive`,
  };
}

export const COMMAND_GROUP = 'pool';
export const EVENT_GROUP = 'bridge';
/** How long the pool's heartbeat key lives without a refresh (it refreshes every third of it). */
export const ALIVE_TTL_SECONDS = 15;

/** Connection ids: stable across restarts of either side. */
export const botConnId = (network: string) => `${network}/bot`;
export const puppetConnId = (network: string, userId: string) => `${network}/puppet/${userId}`;

/** How to open a connection (the pool makes it only when none with this id is live). */
export interface OpenCommand {
  network: string;
  kind: 'bot' | 'puppet';
  userId?: string;
  host: string;
  port: number;
  tls: boolean;
  rejectUnauthorized: boolean;
  ca?: string;
  nick: string;
  username: string;
  gecos: string;
  /** The source address (a per-user address of `source_prefix`). */
  localAddress?: string;
  /** SASL PLAIN; the command entry is deleted as soon as the pool has read it. */
  account?: { account: string; password: string };
  /** IRCv3 capabilities to request where offered. */
  caps: string[];
  /** The bridge's id for this attempt: a `closed` answering it (the connect failed) names it. */
  nonce?: string;
  /**
   * What of the server's lines to forward: `all` (the default; the bot), or `own` (a puppet:
   * only what concerns it, not the chatter of its channels, which the bot hears; forward.ts).
   * A pool that does not know the field forwards every line, which stays correct.
   */
  forward?: 'all' | 'own';
}

export type PoolCommand =
  | { type: 'open'; conn: string; data: OpenCommand }
  | { type: 'send'; conn: string; data: { line: string } }
  | { type: 'quit'; conn: string; data: { message: string } };

/** What a registered connection looks like, for a bridge (re-)attaching to it. */
export interface ReadyEvent {
  nick: string;
  /** The server's name (the prefix of its numerics). */
  server: string;
  /** The server's capabilities, as a `CAP LS` value (`name[=value] …`). */
  available: string;
  /** The capabilities enabled on this connection. */
  enabled: string[];
  /** The server's registration lines (001-005, MOTD, SASL numerics…), as received. */
  welcome: string[];
  /** Channels the connection is in now. */
  channels: string[];
  /** The connection was already registered (a re-attach), not opened for this command. */
  attached: boolean;
  /** The connection's generation (a connection opened again under the same id has another). */
  gen: string;
}

export type PoolEvent =
  | { type: 'ready'; conn: string; data: ReadyEvent }
  | { type: 'line'; conn: string; data: { line: string } }
  | { type: 'closed'; conn: string; data: ClosedEvent }
  | { type: 'refused'; conn: string; data: { reason: string } };

export interface ClosedEvent {
  error?: string;
  /** The generation that closed (none: every one, the pool restarted). */
  gen?: string;
  /** The `open` attempts this answers (the connection closed before it was ready). */
  nonces?: string[];
}

/** A live connection in the pool's snapshot. */
export interface ConnState {
  network: string;
  kind: 'bot' | 'puppet';
  userId?: string;
  nick: string;
  registered: boolean;
  channels: string[];
}

export interface PoolAlive {
  version: number;
  pid: number;
  since: string;
}

/** A stream entry's fields (flat key/value list, as XADD takes and XREADGROUP gives). */
export function encodeEntry(message: PoolCommand | PoolEvent): string[] {
  return [
    'v',
    String(POOL_PROTOCOL_VERSION),
    'type',
    message.type,
    'conn',
    message.conn,
    'data',
    JSON.stringify(message.data),
  ];
}

export type Decoded<T> = { ok: true; message: T } | { ok: false; version: string; reason: string };

export function decodeEntry<T extends PoolCommand | PoolEvent>(fields: string[]): Decoded<T> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  const version = map.get('v') ?? '?';
  if (version !== String(POOL_PROTOCOL_VERSION))
    return {
      ok: false,
      version,
      reason: `protocol version ${version}, expected ${POOL_PROTOCOL_VERSION}: run the bridge and switchboard irc-pool from the same release`,
    };
  try {
    const message = {
      type: map.get('type'),
      conn: map.get('conn'),
      data: JSON.parse(map.get('data') ?? 'null') as unknown,
    } as T;
    if (typeof message.type !== 'string' || typeof message.conn !== 'string')
      return { ok: false, version, reason: 'an entry without type or conn' };
    return { ok: true, message };
  } catch {
    return { ok: false, version, reason: 'an entry whose data is not JSON' };
  }
}
