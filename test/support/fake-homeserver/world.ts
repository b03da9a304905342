/**
 * The fake homeserver's state: users, rooms, membership, timelines, aliases, ephemeral data. The
 * rules follow what Synapse was measured to do (docs: /work/shared/peers/synapse-appservice.md),
 * kept to what the bridge relies on; power levels are not modelled.
 */
import { randomBytes } from 'node:crypto';
import type { ClientEvent } from '../../../src/matrix/events.js';
import { HsError, type CreateRoomBody, type FakeRoom, type Profile } from './types.js';

type Content = Record<string, unknown>;
type Waiter = { match: (e: ClientEvent) => boolean; resolve: (e: ClientEvent) => void };

const notInRoom = (userId: string, roomId: string) =>
  new HsError(403, 'M_FORBIDDEN', `User ${userId} not in room ${roomId}`);

export class World {
  readonly rooms = new Map<string, FakeRoom>();
  readonly aliases = new Map<string, string>();
  /** Registered users and their global profile. */
  readonly users = new Map<string, Profile>();
  readonly presence = new Map<string, { presence: string; status_msg?: string }>();
  private readonly waiters = new Set<Waiter>();
  /** Called with every event appended (the appservice stream listens here). */
  readonly appended: ((room: FakeRoom, event: ClientEvent) => void)[] = [];
  private readonly tag = randomBytes(4).toString('hex');
  private seq = 0;

  constructor(readonly serverName: string) {}

  private nextId(sigil: string, withServer: boolean): string {
    const id = `${sigil}${this.tag}${(++this.seq).toString(36)}`;
    return withServer ? `${id}:${this.serverName}` : id;
  }

  room(roomId: string): FakeRoom | undefined {
    return this.rooms.get(roomId);
  }

  /** The room, if `userId` is joined to it; Synapse answers 403 also for rooms that do not exist. */
  joinedRoom(roomId: string, userId: string): FakeRoom {
    const room = this.rooms.get(roomId);
    if (!room || room.members.get(userId) !== 'join') throw notInRoom(userId, roomId);
    return room;
  }

  append(
    room: FakeRoom,
    fields: {
      sender: string;
      type: string;
      content: Content;
      state_key?: string;
      redacts?: string;
    },
    ts?: number,
  ): ClientEvent {
    const event: ClientEvent = {
      event_id: this.nextId('$', false),
      room_id: room.id,
      origin_server_ts: ts ?? Date.now(),
      unsigned: { age: 0 },
      ...fields,
    };
    room.timeline.push(event);
    if (event.state_key !== undefined)
      room.state.set(`${event.type}\u0000${event.state_key}`, event);
    for (const listener of this.appended) listener(room, event);
    for (const waiter of this.waiters) {
      if (waiter.match(event)) {
        this.waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
    return event;
  }

  setMembership(
    room: FakeRoom,
    sender: string,
    target: string,
    membership: string,
    extra: Content = {},
    ts?: number,
  ): ClientEvent {
    room.members.set(target, membership);
    if (membership !== 'join') room.typing.delete(target);
    const profile = membership === 'join' ? (this.users.get(target) ?? {}) : {};
    return this.append(
      room,
      {
        sender,
        type: 'm.room.member',
        state_key: target,
        content: { membership, ...profile, ...extra },
      },
      ts,
    );
  }

  createRoom(creator: string, body: CreateRoomBody): string {
    if (
      body.room_alias_name !== undefined &&
      this.aliases.has(`#${body.room_alias_name}:${this.serverName}`)
    ) {
      throw new HsError(400, 'M_ROOM_IN_USE', 'Room alias already taken');
    }
    const room: FakeRoom = {
      id: this.nextId('!', true),
      joinRule: body.preset === 'public_chat' ? 'public' : 'invite', // no preset → invite-only, as Synapse does for an AS
      members: new Map(),
      state: new Map(),
      timeline: [],
      typing: new Set(),
      receipts: new Map(),
    };
    this.rooms.set(room.id, room);
    const state = (type: string, content: Content, stateKey = '') =>
      this.append(room, { sender: creator, type, state_key: stateKey, content });
    state('m.room.create', { creator, room_version: '10' });
    this.setMembership(room, creator, creator, 'join');
    state('m.room.power_levels', {
      users: { [creator]: 100 },
      users_default: 0,
      events_default: 0,
      state_default: 50,
    });
    state('m.room.join_rules', { join_rule: room.joinRule });
    if (body.room_alias_name !== undefined) {
      const alias = `#${body.room_alias_name}:${this.serverName}`;
      this.aliases.set(alias, room.id);
      state('m.room.canonical_alias', { alias });
    }
    if (body.name !== undefined) state('m.room.name', { name: body.name });
    if (body.topic !== undefined) state('m.room.topic', { topic: body.topic });
    for (const s of body.initial_state ?? [])
      this.putState(room.id, creator, s.type, s.state_key ?? '', s.content);
    for (const target of body.invite ?? []) this.setMembership(room, creator, target, 'invite');
    return room.id;
  }

  join(roomIdOrAlias: string, userId: string): string {
    const roomId = roomIdOrAlias.startsWith('#') ? this.aliases.get(roomIdOrAlias) : roomIdOrAlias;
    if (roomId === undefined)
      throw new HsError(404, 'M_NOT_FOUND', `Room alias ${roomIdOrAlias} not found`);
    const room = this.rooms.get(roomId);
    if (!room) throw new HsError(404, 'M_NOT_FOUND', 'No known servers');
    const membership = room.members.get(userId);
    if (membership === 'join') return room.id; // idempotent, no new event
    if (membership === 'ban') throw new HsError(403, 'M_FORBIDDEN', 'You are banned from the room');
    if (room.joinRule !== 'public' && membership !== 'invite')
      throw new HsError(403, 'M_FORBIDDEN', 'You are not invited to this room.');
    this.setMembership(room, userId, userId, 'join');
    return room.id;
  }

  invite(roomId: string, inviter: string, target: string): void {
    const room = this.joinedRoom(roomId, inviter);
    const membership = room.members.get(target);
    if (membership === 'join')
      throw new HsError(403, 'M_FORBIDDEN', `${target} is already in the room.`);
    if (membership === 'ban')
      throw new HsError(403, 'M_FORBIDDEN', `${target} is banned from the room`);
    this.setMembership(room, inviter, target, 'invite');
  }

  leave(roomId: string, userId: string, reason?: string): void {
    const room = this.rooms.get(roomId);
    const membership = room?.members.get(userId);
    if (!room || (membership !== 'join' && membership !== 'invite')) return; // leaving twice is 200 in Synapse
    this.setMembership(room, userId, userId, 'leave', reason === undefined ? {} : { reason });
  }

  /** kick, ban and unban: an actor acting on another member. */
  moderate(
    roomId: string,
    actor: string,
    target: string,
    action: 'kick' | 'ban' | 'unban',
    reason?: string,
  ): void {
    const room = this.joinedRoom(roomId, actor);
    const current = room.members.get(target);
    const extra = reason === undefined ? {} : { reason };
    if (action === 'ban') return void this.setMembership(room, actor, target, 'ban', extra);
    if (action === 'unban') {
      if (current === 'ban') this.setMembership(room, actor, target, 'leave', extra);
      return;
    }
    if (current !== 'join' && current !== 'invite')
      throw new HsError(403, 'M_FORBIDDEN', 'The target user is not in the room');
    this.setMembership(room, actor, target, 'leave', extra);
  }

  send(roomId: string, sender: string, type: string, content: Content, ts?: number): ClientEvent {
    return this.append(this.joinedRoom(roomId, sender), { sender, type, content }, ts);
  }

  putState(
    roomId: string,
    sender: string,
    type: string,
    stateKey: string,
    content: Content,
    ts?: number,
  ): ClientEvent {
    const room = this.joinedRoom(roomId, sender);
    if (type === 'm.room.member' && typeof content.membership === 'string') {
      const { membership, ...extra } = content;
      return this.setMembership(room, sender, stateKey, membership as string, extra, ts);
    }
    if (type === 'm.room.join_rules' && content.join_rule === 'public') room.joinRule = 'public';
    else if (type === 'm.room.join_rules') room.joinRule = 'invite';
    return this.append(room, { sender, type, state_key: stateKey, content }, ts);
  }

  redact(roomId: string, sender: string, eventId: string, reason?: string): ClientEvent {
    const room = this.joinedRoom(roomId, sender);
    const redaction = this.append(room, {
      sender,
      type: 'm.room.redaction',
      redacts: eventId,
      content: { redacts: eventId, ...(reason === undefined ? {} : { reason }) },
    });
    const target = room.timeline.find((e) => e.event_id === eventId);
    if (target) {
      target.content = {};
      target.unsigned = { ...target.unsigned, redacted_because: redaction };
    }
    return redaction;
  }

  /** A profile change rewrites the user's member event in every room it is joined to (as Synapse does). */
  setProfile(userId: string, field: 'displayname' | 'avatar_url', value: string): void {
    const profile = this.users.get(userId) ?? {};
    profile[field] = value;
    this.users.set(userId, profile);
    for (const room of this.rooms.values()) {
      if (room.members.get(userId) === 'join') this.setMembership(room, userId, userId, 'join');
    }
  }

  findEvent(match: (e: ClientEvent) => boolean): ClientEvent | undefined {
    for (const room of this.rooms.values()) {
      const found = room.timeline.find(match);
      if (found) return found;
    }
    return undefined;
  }

  waitFor(match: (e: ClientEvent) => boolean, timeoutMs: number): Promise<ClientEvent> {
    const existing = this.findEvent(match);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { match, resolve: (e) => (clearTimeout(timer), resolve(e)) };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no matching event within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }
}
