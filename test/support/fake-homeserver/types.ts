/** Types shared by the fake homeserver's parts: its error answer, room model and route shapes. */
import type { ClientEvent } from '../../../src/matrix/events.js';
import type { World } from './world.js';

/** An error answer: `{errcode, error}` with an HTTP status, plus any extra body fields. */
export class HsError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(`${status} ${errcode}: ${error}`);
  }
}

export interface FakeRoom {
  id: string;
  joinRule: 'public' | 'invite';
  /** userId → membership (`join`, `invite`, `leave`, `ban`). */
  members: Map<string, string>;
  /** `${type}\u0000${stateKey}` → event */
  state: Map<string, ClientEvent>;
  timeline: ClientEvent[];
  typing: Set<string>;
  /** userId → event id of the latest receipt */
  receipts: Map<string, string>;
}

export interface Profile {
  displayname?: string;
  avatar_url?: string;
}

export interface CreateRoomBody {
  preset?: string;
  room_alias_name?: string;
  name?: string;
  topic?: string;
  invite?: string[];
  initial_state?: { type: string; state_key?: string; content: Record<string, unknown> }[];
}

export interface StoredMedia {
  data: Buffer;
  contentType: string;
  filename?: string;
}

/** What the routes need from the server around them. */
export interface ServerState {
  world: World;
  serverName: string;
  authenticatedMedia: boolean;
  media: Map<string, StoredMedia>;
  /** Send/redact txnId cache: per appservice and path, body not compared (as Synapse). */
  sendCache: Map<string, { event_id: string }>;
  mayRegister(userId: string): boolean;
  pingAppservice(appserviceId: string, transactionId: unknown): Promise<Reply>;
}

export interface RouteContext {
  state: ServerState;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body ({} when empty); raw bytes for media. */
  body: Record<string, unknown>;
  raw: Buffer;
  /** The acting user: the asserted `user_id`, else the appservice's sender. */
  user: string;
  path: string;
  contentType: string | undefined;
}

export interface Reply {
  status?: number;
  body?: unknown;
  media?: StoredMedia;
}

export interface Route {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  pattern: string;
  /** `user`: as_token plus identity assertion; `token`: as_token only; `none`: no auth. */
  auth: 'user' | 'token' | 'none';
  rawBody?: boolean;
  handler(ctx: RouteContext): Reply | Promise<Reply>;
}
