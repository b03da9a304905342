/** Room endpoints of the fake homeserver: membership, creation, state, events, typing, receipts. */
import { CS, OK, deduped, eventSizeCheck, optStr, sameUser, str, ts } from './route-kit.js';
import {
  HsError,
  type CreateRoomBody,
  type Reply,
  type Route,
  type RouteContext,
} from './types.js';

const join = (ctx: RouteContext): Reply => ({
  body: { room_id: ctx.state.world.join(ctx.params.room!, ctx.user) },
});

const moderation = (action: 'kick' | 'ban' | 'unban'): Route => ({
  method: 'POST',
  pattern: `${CS}/rooms/:room/${action}`,
  auth: 'user',
  handler: (ctx) => {
    ctx.state.world.moderate(
      ctx.params.room!,
      ctx.user,
      str(ctx, 'user_id'),
      action,
      optStr(ctx, 'reason'),
    );
    return OK;
  },
});

function stateGet(ctx: RouteContext): Reply {
  const room = ctx.state.world.joinedRoom(ctx.params.room!, ctx.user);
  const event = room.state.get(`${ctx.params.type}\u0000${ctx.params.key ?? ''}`);
  if (!event) throw new HsError(404, 'M_NOT_FOUND', 'Event not found.');
  return { body: event.content };
}

function statePut(ctx: RouteContext): Reply {
  eventSizeCheck(ctx);
  const { room, type, key } = ctx.params;
  const event = ctx.state.world.putState(room!, ctx.user, type!, key ?? '', ctx.body, ts(ctx));
  return { body: { event_id: event.event_id } };
}

export const roomRoutes: Route[] = [
  { method: 'POST', pattern: `${CS}/join/:room`, auth: 'user', handler: join },
  { method: 'POST', pattern: `${CS}/rooms/:room/join`, auth: 'user', handler: join },
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
  moderation('kick'),
  moderation('ban'),
  moderation('unban'),
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
      const { room, type } = ctx.params;
      return deduped(ctx, () => ({
        event_id: ctx.state.world.send(room!, ctx.user, type!, ctx.body, when).event_id,
      }));
    },
  },
  {
    method: 'PUT',
    pattern: `${CS}/rooms/:room/redact/:event/:txn`,
    auth: 'user',
    handler: (ctx) => {
      const { room, event } = ctx.params;
      const reason = optStr(ctx, 'reason');
      return deduped(ctx, () => ({
        event_id: ctx.state.world.redact(room!, ctx.user, event!, reason).event_id,
      }));
    },
  },
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
    handler: (ctx) => {
      ctx.state.world
        .joinedRoom(ctx.params.room!, ctx.user)
        .receipts.set(ctx.user, ctx.params.event!);
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
];
