// Starts Switchboard in-process against the test Synapse with the fixed test registration,
// and reads rooms the way a Matrix client sees them.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { EchoConnector } from '../../bridges/echo/index.js';
import { configSchema, type Config } from '../../src/config/schema.js';
import type { AnyConnector } from '../../src/core/bridge-runtime.js';
import { Switchboard } from '../../src/core/switchboard.js';
import { homeserverCaughtUp } from './homeserver-state.js';
import { requireSynapse, testRegistration, type TestUser } from './synapse.js';

export interface HarnessOptions {
  database?: string;
  homeserverUrl?: string;
  bridges?: Record<string, Record<string, unknown>>;
  connectors?: AnyConnector[];
  provisioningSecret?: string;
  admins?: string[];
  /** Core's `public_links` (off when absent). */
  publicLinks?: { url: string; ttl_hours?: number };
  /** Core's `status_page` (its defaults when absent). */
  statusPage?: Record<string, unknown>;
  /** How long stop() waits for the queues to drain (Switchboard's 10 s when absent). */
  stopDrainMs?: number;
}

export function testConfig(opts: HarnessOptions = {}): Config {
  const env = requireSynapse();
  const reg = testRegistration();
  const port = Number(new URL(reg.url).port);
  return configSchema.parse({
    homeserver: { url: opts.homeserverUrl ?? env.hsUrl, domain: env.serverName },
    appservice: {
      id: reg.id,
      port,
      url: reg.url,
      as_token: reg.as_token,
      hs_token: reg.hs_token,
      bot: { localpart: reg.sender_localpart },
    },
    database: opts.database ?? join(mkdtempSync(join(tmpdir(), 'sb-it-')), 'switchboard.db'),
    admins: opts.admins ?? [],
    provisioning: opts.provisioningSecret
      ? { enabled: true, secret: opts.provisioningSecret }
      : { enabled: false },
    logging: { level: 'silent' },
    ...(opts.publicLinks ? { public_links: opts.publicLinks } : {}),
    ...(opts.statusPage ? { status_page: opts.statusPage } : {}),
    bridges: opts.bridges ?? { echo: { enabled: true } },
  });
}

export async function startBridge(opts: HarnessOptions = {}): Promise<Switchboard> {
  const config = testConfig(opts);
  const connectors = opts.connectors ?? [new EchoConnector(), new EchoConnector('echo2', 'Echo 2')];
  const log = pino({ level: process.env.SWITCHBOARD_TEST_LOG ?? 'silent' });
  const bridge = new Switchboard(config, connectors, log, {
    retryBaseMs: 50,
    stopDrainMs: opts.stopDrainMs,
  });
  try {
    await bridge.start();
    // Synapse sends new events late while it catches up after the bridge was down: wait that out.
    await homeserverCaughtUp(60_000);
  } catch (err) {
    await bridge.stop().catch(() => undefined);
    throw err;
  }
  return bridge;
}

export interface RoomEvent {
  event_id: string;
  type: string;
  sender: string;
  content: Record<string, unknown>;
  state_key?: string;
  origin_server_ts: number;
  redacted_because?: unknown;
  unsigned?: { redacted_because?: unknown };
}

/** The room's latest events, oldest first, as `user` sees them (client-server API, no sync). */
export async function roomEvents(
  user: Pick<TestUser, 'accessToken'>,
  roomId: string,
  limit = 100,
): Promise<RoomEvent[]> {
  const { hsUrl } = requireSynapse();
  const res = await fetch(
    `${hsUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=${limit}`,
    {
      headers: { authorization: `Bearer ${user.accessToken}` },
    },
  );
  if (!res.ok) throw new Error(`GET messages ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { chunk: RoomEvent[] }).chunk.reverse();
}

/** A client-server call as a test user. */
export async function asUser<T>(
  user: Pick<TestUser, 'accessToken'>,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const { hsUrl } = requireSynapse();
  const res = await fetch(`${hsUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** Sends an event as `user` (a text message by default) with a fresh txnId; returns its event id. */
export async function sendAs(
  user: Pick<TestUser, 'accessToken'>,
  roomId: string,
  content: Record<string, unknown>,
  type = 'm.room.message',
): Promise<string> {
  const txnId = `t${Date.now()}.${randomBytes(4).toString('hex')}`;
  const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/${type}/${txnId}`;
  return (await asUser<{ event_id: string }>(user, 'PUT', path, content)).event_id;
}

export const sendText = (user: Pick<TestUser, 'accessToken'>, roomId: string, body: string) =>
  sendAs(user, roomId, { msgtype: 'm.text', body });

/** Joins a room by alias (for an alias in a bridge's namespace, the bridge makes the room); returns its id. */
export async function joinAlias(
  user: Pick<TestUser, 'accessToken'>,
  alias: string,
): Promise<string> {
  const path = `/_matrix/client/v3/join/${encodeURIComponent(alias)}`;
  return (await asUser<{ room_id: string }>(user, 'POST', path, {})).room_id;
}

/** The event a message replies to (`m.relates_to.m.in_reply_to`), if any. */
export const replyTarget = (e: RoomEvent) =>
  (e.content['m.relates_to'] as { 'm.in_reply_to'?: { event_id?: string } } | undefined)?.[
    'm.in_reply_to'
  ]?.event_id;

/** A room's state event content (`stateKey` for member events and the like), as `user` sees it. */
export function roomState<T>(
  user: Pick<TestUser, 'accessToken'>,
  roomId: string,
  type: string,
  stateKey = '',
): Promise<T> {
  const key = stateKey === '' ? '' : `/${encodeURIComponent(stateKey)}`;
  const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/${type}${key}`;
  return asUser<T>(user, 'GET', path);
}

/** The ids of the room's joined members, as `user` sees them. */
export async function joinedMembers(
  user: Pick<TestUser, 'accessToken'>,
  roomId: string,
): Promise<string[]> {
  const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`;
  return Object.keys((await asUser<{ joined: Record<string, unknown> }>(user, 'GET', path)).joined);
}
