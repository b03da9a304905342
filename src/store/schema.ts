/**
 * Kysely table types: the database as the repositories see it. Column names
 * are snake_case as stored; the repositories map them to the camelCase rows of
 * `store.ts`. Times are ms since the epoch (integer on SQLite, bigint on
 * PostgreSQL, parsed back into numbers by open-store).
 */
import type { Generated } from 'kysely';

export interface InboxTxnsTable {
  txn_id: string;
  /** sha256 of the transaction's event ids: tells a retry from a counter reset. */
  fingerprint: string;
  received_at: number;
}

export interface InboxTable {
  seq: Generated<number>;
  event_id: string;
  room_id: string;
  txn_id: string;
  json: string;
  state: 'pending' | 'done' | 'failed';
  bridge: string | null;
  reason: string | null;
  notice_event_id: string | null;
  received_at: number;
  finished_at: number | null;
}

export interface OutboxTable {
  id: Generated<number>;
  bridge: string;
  room_id: string;
  json: string;
  attempts: number;
  last_error: string | null;
  created_at: number;
  /** The bridge's name for the event (`EmitOptions.ref`), handed back with its outcome. */
  ref: string | null;
}

export interface PortalsTable {
  bridge: string;
  portal_key: string;
  room_id: string;
  metadata: string;
  created_at: number;
}

export interface GhostsTable {
  user_id: string;
  bridge: string;
  remote_id: string;
  display_name: string | null;
  avatar_url: string | null;
  /** 0 or 1 on both dialects, so one mapper serves both. */
  registered: number;
}

export interface MessageMapTable {
  bridge: string;
  portal_key: string;
  remote_id: string;
  room_id: string;
  event_id: string;
}

export interface KvTable {
  namespace: string;
  key: string;
  value: string;
}

export interface Database {
  inbox_txns: InboxTxnsTable;
  inbox: InboxTable;
  outbox: OutboxTable;
  portals: PortalsTable;
  ghosts: GhostsTable;
  message_map: MessageMapTable;
  kv: KvTable;
}
