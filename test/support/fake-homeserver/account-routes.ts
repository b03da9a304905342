/** Account-level endpoints of the fake homeserver: versions, whoami, register, profiles, presence,
 * room directory, media and the appservice ping. */
import { randomBytes } from 'node:crypto';
import { CS, OK, optStr, sameUser, str } from './route-kit.js';
import { HsError, type Reply, type Route, type RouteContext } from './types.js';

const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;
const VERSIONS = ['v1.1', 'v1.2', 'v1.3', 'v1.4', 'v1.5', 'v1.6', 'v1.7', 'v1.11'];

function register(ctx: RouteContext): Reply {
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
    throw new HsError(400, 'M_EXCLUSIVE', 'Invalid user localpart for this application service.');
  if (world.users.has(userId)) throw new HsError(400, 'M_USER_IN_USE', 'User ID already taken.');
  world.users.set(userId, {});
  const login =
    ctx.body.inhibit_login === true
      ? {}
      : { access_token: `syt_${randomBytes(8).toString('hex')}`, device_id: 'FAKEDEVICE' };
  return { body: { user_id: userId, home_server: world.serverName, ...login } };
}

function profileOf(ctx: RouteContext) {
  const profile = ctx.state.world.users.get(ctx.params.user!);
  if (!profile) throw new HsError(404, 'M_NOT_FOUND', 'Profile was not found');
  return profile;
}

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
    handler: (ctx) => ({ body: { [field]: profileOf(ctx)[field] } }),
  },
];

function putAlias(ctx: RouteContext): Reply {
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
}

function upload(ctx: RouteContext): Reply {
  if (ctx.raw.length > MAX_UPLOAD_BYTES)
    throw new HsError(413, 'M_TOO_LARGE', 'Upload request body is too large');
  const id = randomBytes(12).toString('hex');
  const contentType = ctx.contentType ?? 'application/octet-stream';
  ctx.state.media.set(`${ctx.state.serverName}/${id}`, {
    data: ctx.raw,
    contentType,
    filename: ctx.query.get('filename') ?? undefined,
  });
  return { body: { content_uri: `mxc://${ctx.state.serverName}/${id}` } };
}

function download(ctx: RouteContext): Reply {
  const media = ctx.state.media.get(`${ctx.params.server}/${ctx.params.id}`);
  if (!media) throw new HsError(404, 'M_NOT_FOUND', 'Not found');
  return { media };
}

export const accountRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/_matrix/client/versions',
    auth: 'none',
    handler: () => ({
      body: { versions: VERSIONS, unstable_features: { 'fi.mau.msc2659.stable': true } },
    }),
  },
  {
    method: 'GET',
    pattern: `${CS}/account/whoami`,
    auth: 'user',
    handler: (ctx) => ({ body: { user_id: ctx.user, is_guest: false } }),
  },
  { method: 'POST', pattern: `${CS}/register`, auth: 'token', handler: register },
  {
    method: 'GET',
    pattern: `${CS}/profile/:user`,
    auth: 'user',
    handler: (ctx) => ({ body: profileOf(ctx) }),
  },
  ...profileField('displayname'),
  ...profileField('avatar_url'),
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
  { method: 'PUT', pattern: `${CS}/directory/room/:alias`, auth: 'user', handler: putAlias },
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
    method: 'POST',
    pattern: '/_matrix/media/v3/upload',
    auth: 'user',
    rawBody: true,
    handler: upload,
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
