/**
 * The room half of the client-server API: membership, room creation, state, events, typing and
 * receipts. `asUser` acts as one of our users (identity assertion, `?user_id=`); without it the
 * call acts as the appservice's sender (the bot).
 */
import { hasErrcode } from './errors.js';
import { path, type MatrixHttp } from './http.js';

export type JoinedMembers = Record<string, { display_name?: string; avatar_url?: string }>;
type Content = Record<string, unknown>;
export interface StateEvent {
  type: string;
  state_key: string;
  sender: string;
  content: Content;
}
type MemberAction = 'invite' | 'leave' | 'kick' | 'ban' | 'unban';

export class RoomClient {
  constructor(readonly http: MatrixHttp) {}

  /** Joins by room id or alias; returns the room id. `via` (v1.12) and the older `server_name` both name the servers. */
  async join(roomIdOrAlias: string, asUser?: string, viaServers: string[] = []): Promise<string> {
    const via = viaServers.length ? viaServers : undefined;
    const res = await this.http.json<{ room_id: string }>({
      method: 'POST',
      path: path`/_matrix/client/v3/join/${roomIdOrAlias}`,
      query: { user_id: asUser, via, server_name: via },
      body: {},
    });
    return res.room_id;
  }

  async invite(roomId: string, userId: string, asUser?: string): Promise<void> {
    await this.member(roomId, 'invite', { user_id: userId }, asUser);
  }

  async leave(roomId: string, asUser?: string, reason?: string): Promise<void> {
    await this.member(roomId, 'leave', { reason }, asUser);
  }

  async kick(roomId: string, userId: string, reason?: string, asUser?: string): Promise<void> {
    await this.member(roomId, 'kick', { user_id: userId, reason }, asUser);
  }

  async ban(roomId: string, userId: string, reason?: string, asUser?: string): Promise<void> {
    await this.member(roomId, 'ban', { user_id: userId, reason }, asUser);
  }

  async unban(roomId: string, userId: string, reason?: string, asUser?: string): Promise<void> {
    await this.member(roomId, 'unban', { user_id: userId, reason }, asUser);
  }

  /** Not retried after it may have reached the server: a repeat would make a second room. */
  async createRoom(body: Content, asUser?: string): Promise<string> {
    const res = await this.http.json<{ room_id: string }>({
      method: 'POST',
      path: '/_matrix/client/v3/createRoom',
      query: { user_id: asUser },
      body,
      idempotent: false,
    });
    return res.room_id;
  }

  /** The state event's content, or undefined when the room has no such state (404 M_NOT_FOUND). */
  async getState(
    roomId: string,
    type: string,
    stateKey: string,
    asUser?: string,
  ): Promise<Content | undefined> {
    try {
      return await this.http.json<Content>({
        method: 'GET',
        path: path`/_matrix/client/v3/rooms/${roomId}/state/${type}/${stateKey}`,
        query: { user_id: asUser },
      });
    } catch (err) {
      if (hasErrcode(err, 'M_NOT_FOUND')) return undefined;
      throw err;
    }
  }

  /** Every current state event of the room (with senders, unlike `getState`). */
  roomState(roomId: string, asUser?: string): Promise<StateEvent[]> {
    return this.http.json<StateEvent[]>({
      method: 'GET',
      path: path`/_matrix/client/v3/rooms/${roomId}/state`,
      query: { user_id: asUser },
    });
  }

  /** `ts` sets the event's origin_server_ts (appservice timestamp massaging). */
  async putState(
    roomId: string,
    type: string,
    stateKey: string,
    content: Content,
    asUser?: string,
    ts?: number,
  ): Promise<string> {
    const res = await this.http.json<{ event_id: string }>({
      method: 'PUT',
      path: path`/_matrix/client/v3/rooms/${roomId}/state/${type}/${stateKey}`,
      query: { user_id: asUser, ts },
      body: content,
    });
    return res.event_id;
  }

  /** The homeserver dedupes `txnId` per appservice and path, not per user: keep txnIds unique across ghosts. */
  async sendEvent(
    roomId: string,
    type: string,
    content: Content,
    txnId: string,
    asUser?: string,
    ts?: number,
  ): Promise<string> {
    const res = await this.http.json<{ event_id: string }>({
      method: 'PUT',
      path: path`/_matrix/client/v3/rooms/${roomId}/send/${type}/${txnId}`,
      query: { user_id: asUser, ts },
      body: content,
    });
    return res.event_id;
  }

  async redact(
    roomId: string,
    eventId: string,
    txnId: string,
    reason?: string,
    asUser?: string,
  ): Promise<string> {
    const res = await this.http.json<{ event_id: string }>({
      method: 'PUT',
      path: path`/_matrix/client/v3/rooms/${roomId}/redact/${eventId}/${txnId}`,
      query: { user_id: asUser },
      body: reason === undefined ? {} : { reason },
    });
    return res.event_id;
  }

  /** Typing is always the user's own: `userId` is also the asserted user. */
  async setTyping(
    roomId: string,
    userId: string,
    typing: boolean,
    timeoutMs: number,
  ): Promise<void> {
    await this.http.json({
      method: 'PUT',
      path: path`/_matrix/client/v3/rooms/${roomId}/typing/${userId}`,
      query: { user_id: userId },
      body: typing ? { typing, timeout: timeoutMs } : { typing },
    });
  }

  async sendReceipt(
    roomId: string,
    eventId: string,
    asUser: string,
    receiptType = 'm.read',
  ): Promise<void> {
    await this.http.json({
      method: 'POST',
      path: path`/_matrix/client/v3/rooms/${roomId}/receipt/${receiptType}/${eventId}`,
      query: { user_id: asUser },
      body: {},
    });
  }

  async joinedMembers(roomId: string, asUser?: string): Promise<JoinedMembers> {
    const res = await this.http.json<{ joined?: JoinedMembers }>({
      method: 'GET',
      path: path`/_matrix/client/v3/rooms/${roomId}/joined_members`,
      query: { user_id: asUser },
    });
    return res.joined ?? {};
  }

  private async member(
    roomId: string,
    action: MemberAction,
    body: Content,
    asUser?: string,
  ): Promise<void> {
    const withoutUndefined = Object.fromEntries(
      Object.entries(body).filter(([, v]) => v !== undefined),
    );
    await this.http.json({
      method: 'POST',
      path: path`/_matrix/client/v3/rooms/${roomId}/${action}`,
      query: { user_id: asUser },
      body: withoutUndefined,
    });
  }
}
