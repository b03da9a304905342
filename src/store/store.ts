/**
 * The store's contract: what core reads and writes. `src/store/` is the only
 * place with SQL; both SQLite and PostgreSQL implement exactly this.
 */

/** One Matrix event as the inbox keeps it. */
export interface InboxEvent {
  /** Insertion order across the whole inbox: replay goes in this order. */
  seq: number;
  eventId: string;
  roomId: string;
  txnId: string;
  /** The event as the homeserver sent it (JSON). */
  json: string;
  /** For a failed event: the bridge it failed in (a retry goes only there). */
  failedBridge?: string;
}

export type InboxState = 'pending' | 'done' | 'failed';

export interface InboxOutcome {
  eventId: string;
  state: 'done' | 'failed';
  /** The bridge that handled it; null for events core handled itself. */
  bridge: string | null;
  /** For `failed`: why, as shown to the sender. */
  reason?: string;
  /** For `failed`: the bot's notice in the room, so a 🔁 reaction on it retries. */
  noticeEventId?: string;
}

export interface AddTransactionResult {
  /** Events stored now, in order; repeats of already-stored event ids are left out. */
  added: InboxEvent[];
  /** True when this txnId was seen before with other events (a homeserver counter reset). */
  txnIdReset: boolean;
  /** True when this txnId was seen before with exactly these events (a retry). */
  repeat: boolean;
}

export interface Inbox {
  /**
   * Stores a transaction's events in one database transaction, before the 200: resolves once they
   * survive a crash of the machine. `stored` hears of them earlier, once they survive a crash of
   * the process (committed, not yet flushed to disk; the same moment on PostgreSQL).
   */
  addTransaction(
    txnId: string,
    events: { eventId: string; roomId: string; json: string }[],
    stored?: (result: AddTransactionResult) => void,
  ): Promise<AddTransactionResult>;
  /** Events not yet finished (state `pending`), oldest first: replayed after a crash. */
  pending(): Promise<InboxEvent[]>;
  /** Record outcomes, many at once in one database transaction. */
  finish(outcomes: InboxOutcome[]): Promise<void>;
  /** The failed event whose notice is `noticeEventId`, for retry by reaction. */
  failedByNotice(noticeEventId: string): Promise<InboxEvent | undefined>;
  /** Failed events of a room, newest first. */
  failedInRoom(roomId: string, limit: number): Promise<InboxEvent[]>;
  /** Set a failed event back to pending (for a retry); returns it. */
  retry(eventId: string): Promise<InboxEvent | undefined>;
  /** Last success and failure times (ms) in a room, and the last failure's reason. */
  health(
    roomId: string,
  ): Promise<{ lastSuccess?: number; lastFailure?: number; lastFailureReason?: string }>;
  /** Delete finished events older than `beforeMs`. Returns how many. */
  prune(beforeMs: number): Promise<number>;
  /**
   * Forgets an event's content (a command that carried a password): its stored JSON keeps only
   * what identifies it, so a replay after a crash finds nothing to act on. False if it is not stored.
   */
  scrub(eventId: string): Promise<boolean>;
}

/** One remote → Matrix event waiting to be sent. */
export interface OutboxEntry {
  id: number;
  bridge: string;
  roomId: string;
  /** The RemoteEvent (JSON). */
  json: string;
  attempts: number;
  /** The bridge's name for the event, when it gave one: its outcome is handed back with it. */
  ref?: string;
}

export interface Outbox {
  /** Stores an event to send; `durable: false` when it need survive only a crash of the process. */
  add(
    entry: { bridge: string; roomId: string; json: string; ref?: string },
    durable?: boolean,
  ): Promise<OutboxEntry>;
  /** Everything not yet sent, in id order. */
  pending(): Promise<OutboxEntry[]>;
  /**
   * Sent: remove it, and record the message-map row in the same database transaction if given.
   * `messages` lookups find the row at once, before the returned promise (the commit) settles.
   * Not flushed to disk on its own: losing it to a power cut only sends the event again.
   */
  complete(id: number, mapping?: MessageMapping): Promise<void>;
  recordAttempt(id: number, error: string): Promise<void>;
}

export interface PortalRow {
  bridge: string;
  portalKey: string;
  roomId: string;
  /** Bridge-owned JSON metadata. */
  metadata: string;
  createdAt: number;
}

export interface Portals {
  get(bridge: string, portalKey: string): Promise<PortalRow | undefined>;
  /** Every portal linked to a room (a room can be linked to several networks). */
  byRoom(roomId: string): Promise<PortalRow[]>;
  list(bridge?: string): Promise<PortalRow[]>;
  /** Insert, or update the room of an existing (bridge, portalKey). */
  upsert(row: Omit<PortalRow, 'createdAt'>): Promise<void>;
  delete(bridge: string, portalKey: string): Promise<boolean>;
}

export interface GhostRow {
  userId: string;
  bridge: string;
  remoteId: string;
  displayName: string | null;
  avatarUrl: string | null;
  registered: boolean;
}

export interface Ghosts {
  get(userId: string): Promise<GhostRow | undefined>;
  upsert(row: GhostRow): Promise<void>;
}

export interface MessageMapping {
  bridge: string;
  portalKey: string;
  remoteId: string;
  roomId: string;
  eventId: string;
}

export interface MessageMap {
  /** Lookups find `row` from the call on; the promise settles with its commit. */
  add(row: MessageMapping): Promise<void>;
  /** Forgets what `eventId` became (the network refused it after all). */
  remove(bridge: string, eventId: string): Promise<void>;
  byEvent(bridge: string, eventId: string): Promise<MessageMapping | undefined>;
  byRemote(
    bridge: string,
    portalKey: string,
    remoteId: string,
  ): Promise<MessageMapping | undefined>;
}

export interface KeyValue {
  get(namespace: string, key: string): Promise<string | undefined>;
  set(namespace: string, key: string, value: string): Promise<void>;
  delete(namespace: string, key: string): Promise<void>;
}

/** A portal as the status page lists it, with its room's last delivery either way. */
export interface PortalSummary {
  bridge: string;
  portalKey: string;
  roomId: string;
  createdAt: number;
  lastSuccess?: number;
  lastFailure?: number;
}

export interface FailedEvent {
  eventId: string;
  roomId: string;
  bridge: string | null;
  reason: string | null;
  finishedAt: number;
}

export interface RoomOutcome {
  eventId: string;
  state: InboxState;
  bridge: string | null;
  reason: string | null;
  receivedAt: number;
  finishedAt?: number;
}

/** Read-only queries for the admins' status page. */
export interface StatusQueries {
  /** Portals in (bridge, portal key) order, filtered by a case-insensitive "contains" search. */
  portalsPage(opts: {
    search?: string;
    bridge?: string;
    offset: number;
    limit: number;
  }): Promise<{ total: number; rows: PortalSummary[] }>;
  /** Failed events, newest first. */
  recentFailures(limit: number): Promise<FailedEvent[]>;
  /** Failed events counted by bridge and reason, the most frequent first. */
  failureReasons(
    limit: number,
  ): Promise<{ bridge: string | null; reason: string | null; count: number; last: number }[]>;
  /** A room's latest events and what became of them, newest first. */
  roomOutcomes(roomId: string, limit: number): Promise<RoomOutcome[]>;
  /** Matrix events not yet handled, and remote events not yet accepted by the homeserver. */
  backlog(): Promise<{ inbox: number; outbox: number }>;
  /** The database's size in bytes (the bridge's own schema on PostgreSQL). */
  sizeBytes(): Promise<number | undefined>;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  inbox: Inbox;
  outbox: Outbox;
  portals: Portals;
  ghosts: Ghosts;
  messages: MessageMap;
  /** Core's own namespace is `core`; each bridge gets `bridge:<id>`. */
  kv: KeyValue;
  /** What the admins' status page reads. */
  status: StatusQueries;
  /** A small write that must reach the database: proves the store can write (at start, and while recovering). */
  probeWrite(): Promise<void>;
  close(): Promise<void>;
}
