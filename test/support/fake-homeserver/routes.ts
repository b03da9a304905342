/**
 * The client-server endpoints the bridge's MatrixClient uses, with Synapse's answers (status,
 * errcode and text as measured). Handlers act on the World; the server does auth and plumbing.
 */
import { randomBytes } from 'node:crypto';
import { HsError, type CreateRoomBody, type World } from './world.js';

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

const CS = '/_matrix/client/v3';
const OK = { body: {} };
const MAX_EVENT_BYTES = 65_536;
const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

function str(ctx: RouteContext, key: string): string {
  const value = ctx.body[key];
  if (typeof value !== 'string') throw new HsError(400, 'M_BAD_JSON', `'${key}' must be a string`);
  return value;
}
const optStr = (ctx: RouteContext, key: string) =>
  typeof ctx.body[key] === 'string' ? (ctx.body[key] as string) : undefined;

/** `?ts=` (appservice timestamp massaging): honoured for as_token requests, which all of ours are. */
function ts(ctx: RouteContext): number | undefined {
  const raw = ctx.query.get('ts');
  if (raw === null) return undefined;
  if (!/^\d+$/.test(raw))
    throw new HsError(400, 'M_INVALID_PARAM', 'ts must be a non-negative integer');
  return Number(raw);
}

function eventSizeCheck(ctx: RouteContext): void {
  if (ctx.raw.length > MAX_EVENT_BYTES) throw new HsError(413, 'M_TOO_LARGE', 'event too large');
}

/** Replays the first answer for a repeated send/redact txnId. */
function deduped(ctx: RouteContext, send: () => { event_id: string }): Reply {
  const cache = ctx.state.sendCache;
  const cached = cache.get(ctx.path);
  if (cached) return { body: cached };
  const answer = send();
  cache.set(ctx.path, answer);
  if (cache.size > 100_000) cache.delete(cache.keys().next().value!); // bounded, like Synapse's 30 min expiry
  return { body: answer };
}

function sameUser(ctx: RouteContext, target: string, what: string, status = 403): void {
  if (target !== ctx.user)
    throw new HsError(status, 'M_FORBIDDEN', `Cannot set another user's ${what}`);
}

const membershipRoute = (action: 'kick' | 'ban' | 'unban'): Route => ({
  method: 'POST',
  pattern: `${CS}/rooms/:room/${action}`,
  auth: 'user',
  handler: (ctx) => (
    ctx.state.world.moderate(
      ctx.params.room!,
      ctx.user,
      str(ctx, 'user_id'),
      action,
      optStr(ctx, 'reason'),
    ),
    OK
  ),
});

const stateGet = (ctx: RouteContext): Reply => {
  const room = ctx.state.world.joinedRoom(ctx.params.room!, ctx.user);
  const event = room.state.get(`${ctx.params.type}\u0000${ctx.params.key ?? ''}`);
  if (!event) throw new HsError(404, 'M_NOT_FOUND', 'Event not found.');
  return { body: event.content };
};

const statePut = (ctx: RouteContext): Reply => {
  eventSizeCheck(ctx);
  const event = ctx.state.world.putState(
    ctx.params.room!,
    ctx.user,
    ctx.params.type!,
    ctx.params.key ?? '',
    ctx.body,
    ts(ctx),
  );
  return { body: { event_id: event.event_id } };
};

const profileField = (field: 'displayname' | 'avatar_url'): Route[] => [
  {
    method: 'PUT',
    pattern: `${CS}/profile/:user/${field}`,
    auth: 'user',
    handler: (ctx) => {
      sameUser(ctx, ctx.params.user!, field, 400); // Synapse answers 400 here, not 403
      ctx.state.world.setProfile(ctx.user, field, str(ctx, field));
      return OK;
    },
  },
  {
    method: 'GET',
    pattern: `${CS}/profile/:user/${field}`,
    auth: 'user',
    handler: (ctx) => {
      const profile = ctx.state.world.users.get(ctx.params.user!);
      if (!profile) throw new HsError(404, 'M_NOT_FOUND', 'Profile was not found');
      return { body: { [field]: profile[field] } };
    },
  },
];

function download(ctx: RouteContext): Reply {
  const media = ctx.state.media.get(`${ctx.params.server}/${ctx.params.id}`);
  if (!media) throw new HsError(404, 'M_NOT_FOUND', 'Not found');
  return { media };
}

export const routes: Route[] = [
  {
    method: 'GET',
    pattern: '/_matrix/client/versions',
    auth: 'none',
    handler: () => ({
      body: {
        versions: ['v1.1', 'v1.2', 'v1.3', 'v1.4', 'v1.5', 'v1.6', 'v1.7', 'v1.11'],
        unstable_features: { 'fi.mau.msc2659.stable': true },
      },
    }),
  },
  {
    method: 'GET',
    pattern: `${CS}/account/whoami`,
    auth: 'user',
    handler: (ctx) => ({ body: { user_id: ctx.user, is_guest: false } }),
  },
  {
    method: 'POST',
    pattern: `${CS}/register`,
    auth: 'token',
    handler: (ctx) => {
      if (ctx.body.type !== 'm.login.application_service') {
        throw new HsError(
          400,
          'M_UNKNOWN',
          'An access token should not be provided on requests to /register (except if type is m.login.application_service)',
        );
      }
      if (typeof ctx.body.username !== 'string')
        throw new HsError(400, 'M_UNKNOWN', 'Desired Username is missing or not a string');
      const { world } = ctx.state;
      const userId = `@${ctx.body.username}:${world.serverName}`;
      if (!ctx.state.mayRegister(userId))
        throw new HsError(
          400,
          'M_EXCLUSIVE',
          'Invalid user localpart for this application service.',
        );
      if (world.users.has(userId))
        throw new HsError(400, 'M_USER_IN_USE', 'User ID already taken.');
      world.users.set(userId, {});
      const login =
        ctx.body.inhibit_login === true
          ? {}
          : { access_token: `syt_${randomBytes(8).toString('hex')}`, device_id: 'FAKEDEVICE' };
      return { body: { user_id: userId, home_server: world.serverName, ...login } };
    },
  },
  {
    method: 'POST',
    pattern: `${CS}/join/:room`,
    auth: 'user',
    handler: (ctx) => ({ body: { room_id: ctx.state.world.join(ctx.params.room!, ctx.user) } }),
  },
  {
    method: 'POST',
    pattern: `${CS}/rooms/:room/join`,
    auth: 'user',
    handler: (ctx) => ({ body: { room_id: ctx.state.world.join(ctx.params.room!, ctx.user) } }),
  },
  {
    method: 'POST',
    pattern: `${CS}/rooms/:room/invite`,
    auth: 'user',
    handler: (ctx) => (ctx.state.world.invite(ctx.params.room!, ctx.user, str(ctx, 'user_id')), OK),
  },
  {
    method: 'POST',
    pattern: `${CS}/rooms/:room/leave`,
    auth: 'user',
    handler: (ctx) => (
      ctx.state.world.leave(ctx.params.room!, ctx.user, optStr(ctx, 'reason')),
      OK
    ),
  },
  membershipRoute('kick'),
  membershipRoute('ban'),
  membershipRoute('unban'),
  {
    method: 'POST',
    pattern: `${CS}/createRoom`,
    auth: 'user',
    handler: (ctx) => ({
      body: { room_id: ctx.state.world.createRoom(ctx.user, ctx.body as CreateRoomBody) },
    }),
  },
  { method: 'GET', pattern: `${CS}/rooms/:room/state/:type/:key`, auth: 'user', handler: stateGet },
  { method: 'GET', pattern: `${CS}/rooms/:room/state/:type`, auth: 'user', handler: stateGet },
  { method: 'PUT', pattern: `${CS}/rooms/:room/state/:type/:key`, auth: 'user', handler: statePut },
  { method: 'PUT', pattern: `${CS}/rooms/:room/state/:type`, auth: 'user', handler: statePut },
  {
    method: 'PUT',
    pattern: `${CS}/rooms/:room/send/:type/:txn`,
    auth: 'user',
    handler: (ctx) => {
      eventSizeCheck(ctx);
      const when = ts(ctx);
      return deduped(ctx, () => ({
        event_id: ctx.state.world.send(ctx.params.room!, ctx.user, ctx.params.type!, ctx.body, when)
          .event_id,
      }));
    },
  },
  {
    method: 'PUT',
    pattern: `${CS}/rooms/:room/redact/:event/:txn`,
    auth: 'user',
    handler: (ctx) =>
      deduped(ctx, () => ({
        event_id: ctx.state.world.redact(
          ctx.params.room!,
          ctx.user,
          ctx.params.event!,
          optStr(ctx, 'reason'),
        ).event_id,
      })),
  },
  {
    method: 'GET',
    pattern: `${CS}/profile/:user`,
    auth: 'user',
    handler: (ctx) => {
      const profile = ctx.state.world.users.get(ctx.params.user!);
      if (!profile) throw new HsError(404, 'M_NOT_FOUND', 'Profile was not found');
      return { body: profile };
    },
  },
  ...profileField('displayname'),
  ...profileField('avatar_url'),
  {
    method: 'PUT',
    pattern: `${CS}/rooms/:room/typing/:user`,
    auth: 'user',
    handler: (ctx) => {
      sameUser(ctx, ctx.params.user!, 'typing state');
      const room = ctx.state.world.joinedRoom(ctx.params.room!, ctx.user);
      if (ctx.body.typing === true) room.typing.add(ctx.user);
      else if (ctx.body.typing === false) room.typing.delete(ctx.user);
      else throw new HsError(400, 'M_BAD_JSON', "'typing' must be a boolean");
      return OK;
    },
  },
  {
    method: 'POST',
    pattern: `${CS}/rooms/:room/receipt/:type/:event`,
    auth: 'user',
    handler: (ctx) => (
      ctx.state.world
        .joinedRoom(ctx.params.room!, ctx.user)
        .receipts.set(ctx.user, ctx.params.event!),
      OK
    ),
  },
  {
    method: 'PUT',
    pattern: `${CS}/presence/:user/status`,
    auth: 'user',
    handler: (ctx) => {
      sameUser(ctx, ctx.params.user!, 'presence');
      ctx.state.world.presence.set(ctx.user, {
        presence: str(ctx, 'presence'),
        status_msg: optStr(ctx, 'status_msg'),
      });
      return OK;
    },
  },
  {
    method: 'PUT',
    pattern: `${CS}/directory/room/:alias`,
    auth: 'user',
    handler: (ctx) => {
      const { world } = ctx.state;
      const alias = ctx.params.alias!;
      if (!alias.startsWith('#') || !alias.endsWith(`:${world.serverName}`))
        throw new HsError(400, 'M_INVALID_PARAM', 'Room alias must be local');
      if (world.aliases.has(alias))
        throw new HsError(409, 'M_UNKNOWN', `Room alias ${alias} already exists`);
      const roomId = str(ctx, 'room_id');
      if (!world.room(roomId)) throw new HsError(404, 'M_NOT_FOUND', 'Room not found');
      world.aliases.set(alias, roomId);
      return OK;
    },
  },
  {
    method: 'GET',
    pattern: `${CS}/directory/room/:alias`,
    auth: 'user',
    handler: (ctx) => {
      const roomId = ctx.state.world.aliases.get(ctx.params.alias!);
      if (!roomId)
        throw new HsError(404, 'M_NOT_FOUND', `Room alias ${ctx.params.alias} not found`);
      return { body: { room_id: roomId, servers: [ctx.state.serverName] } };
    },
  },
  {
    method: 'DELETE',
    pattern: `${CS}/directory/room/:alias`,
    auth: 'user',
    handler: (ctx) => {
      if (!ctx.state.world.aliases.delete(ctx.params.alias!))
        throw new HsError(404, 'M_NOT_FOUND', 'Room alias not found');
      return OK;
    },
  },
  {
    method: 'GET',
    pattern: `${CS}/rooms/:room/joined_members`,
    auth: 'user',
    handler: (ctx) => {
      const { world } = ctx.state;
      const room = world.joinedRoom(ctx.params.room!, ctx.user);
      const joined: Record<string, { display_name?: string; avatar_url?: string }> = {};
      for (const [userId, membership] of room.members) {
        if (membership !== 'join') continue;
        const profile = world.users.get(userId) ?? {};
        joined[userId] = { display_name: profile.displayname, avatar_url: profile.avatar_url };
      }
      return { body: { joined } };
    },
  },
  {
    method: 'POST',
    pattern: '/_matrix/media/v3/upload',
    auth: 'user',
    rawBody: true,
    handler: (ctx) => {
      if (ctx.raw.length > MAX_UPLOAD_BYTES)
        throw new HsError(413, 'M_TOO_LARGE', 'Upload request body is too large');
      const id = randomBytes(12).toString('hex');
      const filename = ctx.query.get('filename') ?? undefined;
      ctx.state.media.set(`${ctx.state.serverName}/${id}`, {
        data: ctx.raw,
        contentType: ctx.contentType ?? 'application/octet-stream',
        filename,
      });
      return { body: { content_uri: `mxc://${ctx.state.serverName}/${id}` } };
    },
  },
  {
    method: 'GET',
    pattern: '/_matrix/media/v3/download/:server/:id',
    auth: 'none',
    handler: download,
  },
  {
    method: 'GET',
    pattern: '/_matrix/media/v3/download/:server/:id/:filename',
    auth: 'none',
    handler: download,
  },
  {
    method: 'GET',
    pattern: '/_matrix/client/v1/media/download/:server/:id',
    auth: 'user',
    handler: (ctx) => {
      if (!ctx.state.authenticatedMedia)
        throw new HsError(404, 'M_UNRECOGNIZED', 'Unrecognized request');
      return download(ctx);
    },
  },
  {
    method: 'POST',
    pattern: '/_matrix/client/v1/appservice/:id/ping',
    auth: 'token',
    handler: (ctx) => ctx.state.pingAppservice(ctx.params.id!, ctx.body.transaction_id),
  },
];
