/**
 * The client-server API as an appservice uses it. Every call may act as one of our users through
 * identity assertion (`?user_id=`); without `asUser` it acts as the appservice's sender (the bot).
 */
import type { Logger } from 'pino';
import { hasErrcode } from './errors.js';
import { MatrixHttp, path, type RetryPolicy } from './http.js';
import { MediaApi, type DownloadedMedia } from './media.js';

export type { DownloadedMedia } from './media.js';

export interface MatrixClientOptions {
  homeserverUrl: string;
  asToken: string;
  log: Logger;
  retry?: Partial<RetryPolicy>;
  /** Per attempt; default 60 s. */
  timeoutMs?: number;
  /** Largest media download accepted; default 100 MiB. */
  maxDownloadBytes?: number;
}

export type Presence = 'online' | 'offline' | 'unavailable';
export interface Profile {
  displayname?: string;
  avatar_url?: string;
}
export type JoinedMembers = Record<string, { display_name?: string; avatar_url?: string }>;
type Content = Record<string, unknown>;

export class MatrixClient {
  readonly http: MatrixHttp;
  private readonly media: MediaApi;

  constructor(opts: MatrixClientOptions) {
    this.http = new MatrixHttp(opts);
    this.media = new MediaApi(this.http, opts.maxDownloadBytes ?? 100 * 1024 * 1024);
  }

  versions(): Promise<{ versions: string[]; unstable_features?: Record<string, boolean> }> {
    return this.http.json({ method: 'GET', path: '/_matrix/client/versions', anonymous: true });
  }

  whoami(asUser?: string): Promise<{ user_id: string; device_id?: string; is_guest?: boolean }> {
    return this.http.json({ method: 'GET', path: '/_matrix/client/v3/account/whoami', query: { user_id: asUser } });
  }

  /** Registers `@localpart:server`; an existing user (`M_USER_IN_USE`) counts as success. */
  async register(localpart: string): Promise<{ created: boolean }> {
    try {
      await this.http.json({
        method: 'POST',
        path: '/_matrix/client/v3/register',
        body: { type: 'm.login.application_service', username: localpart, inhibit_login: true },
      });
      return { created: true };
    } catch (err) {
      if (hasErrcode(err, 'M_USER_IN_USE')) return { created: false };
      throw err;
    }
  }

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
    await this.roomAction(roomId, 'invite', { user_id: userId }, asUser);
  }

  async leave(roomId: string, asUser?: string, reason?: string): Promise<void> {
    await this.roomAction(roomId, 'leave', { reason }, asUser);
  }

  async kick(roomId: string, userId: string, reason?: string, asUser?: string): Promise<void> {
    await this.roomAction(roomId, 'kick', { user_id: userId, reason }, asUser);
  }

  async ban(roomId: string, userId: string, reason?: string, asUser?: string): Promise<void> {
    await this.roomAction(roomId, 'ban', { user_id: userId, reason }, asUser);
  }

  async unban(roomId: string, userId: string, reason?: string, asUser?: string): Promise<void> {
    await this.roomAction(roomId, 'unban', { user_id: userId, reason }, asUser);
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
  async getState(roomId: string, type: string, stateKey: string, asUser?: string): Promise<Content | undefined> {
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

  /** `ts` sets the event's origin_server_ts (appservice timestamp massaging). */
  async putState(roomId: string, type: string, stateKey: string, content: Content, asUser?: string, ts?: number): Promise<string> {
    const res = await this.http.json<{ event_id: string }>({
      method: 'PUT',
      path: path`/_matrix/client/v3/rooms/${roomId}/state/${type}/${stateKey}`,
      query: { user_id: asUser, ts },
      body: content,
    });
    return res.event_id;
  }

  /** The homeserver dedupes `txnId` per appservice and path, not per user: keep txnIds unique across ghosts. */
  async sendEvent(roomId: string, type: string, content: Content, txnId: string, asUser?: string, ts?: number): Promise<string> {
    const res = await this.http.json<{ event_id: string }>({
      method: 'PUT',
      path: path`/_matrix/client/v3/rooms/${roomId}/send/${type}/${txnId}`,
      query: { user_id: asUser, ts },
      body: content,
    });
    return res.event_id;
  }

  async redact(roomId: string, eventId: string, txnId: string, reason?: string, asUser?: string): Promise<string> {
    const res = await this.http.json<{ event_id: string }>({
      method: 'PUT',
      path: path`/_matrix/client/v3/rooms/${roomId}/redact/${eventId}/${txnId}`,
      query: { user_id: asUser },
      body: reason === undefined ? {} : { reason },
    });
    return res.event_id;
  }

  /** Only a user may set its own profile: `asUser` defaults to `userId`. */
  async setDisplayName(userId: string, name: string, asUser: string = userId): Promise<void> {
    await this.http.json({ method: 'PUT', path: path`/_matrix/client/v3/profile/${userId}/displayname`, query: { user_id: asUser }, body: { displayname: name } });
  }

  async setAvatarUrl(userId: string, mxc: string, asUser: string = userId): Promise<void> {
    await this.http.json({ method: 'PUT', path: path`/_matrix/client/v3/profile/${userId}/avatar_url`, query: { user_id: asUser }, body: { avatar_url: mxc } });
  }

  getProfile(userId: string): Promise<Profile> {
    return this.http.json({ method: 'GET', path: path`/_matrix/client/v3/profile/${userId}` });
  }

  async setTyping(roomId: string, userId: string, typing: boolean, timeoutMs: number): Promise<void> {
    await this.http.json({
      method: 'PUT',
      path: path`/_matrix/client/v3/rooms/${roomId}/typing/${userId}`,
      query: { user_id: userId },
      body: typing ? { typing, timeout: timeoutMs } : { typing },
    });
  }

  async sendReceipt(roomId: string, eventId: string, asUser: string, receiptType = 'm.read'): Promise<void> {
    await this.http.json({ method: 'POST', path: path`/_matrix/client/v3/rooms/${roomId}/receipt/${receiptType}/${eventId}`, query: { user_id: asUser }, body: {} });
  }

  async setPresence(userId: string, presence: Presence, statusMsg?: string): Promise<void> {
    await this.http.json({
      method: 'PUT',
      path: path`/_matrix/client/v3/presence/${userId}/status`,
      query: { user_id: userId },
      body: statusMsg === undefined ? { presence } : { presence, status_msg: statusMsg },
    });
  }

  async createAlias(alias: string, roomId: string, asUser?: string): Promise<void> {
    await this.http.json({ method: 'PUT', path: path`/_matrix/client/v3/directory/room/${alias}`, query: { user_id: asUser }, body: { room_id: roomId } });
  }

  async deleteAlias(alias: string, asUser?: string): Promise<void> {
    await this.http.json({ method: 'DELETE', path: path`/_matrix/client/v3/directory/room/${alias}`, query: { user_id: asUser } });
  }

  /** The room an alias points to, or undefined when the alias does not exist. */
  async resolveAlias(alias: string): Promise<{ roomId: string; servers: string[] } | undefined> {
    try {
      const res = await this.http.json<{ room_id: string; servers?: string[] }>({ method: 'GET', path: path`/_matrix/client/v3/directory/room/${alias}` });
      return { roomId: res.room_id, servers: res.servers ?? [] };
    } catch (err) {
      if (hasErrcode(err, 'M_NOT_FOUND')) return undefined;
      throw err;
    }
  }

  async joinedMembers(roomId: string, asUser?: string): Promise<JoinedMembers> {
    const res = await this.http.json<{ joined?: JoinedMembers }>({ method: 'GET', path: path`/_matrix/client/v3/rooms/${roomId}/joined_members`, query: { user_id: asUser } });
    return res.joined ?? {};
  }

  uploadMedia(data: Uint8Array, contentType: string, filename?: string, asUser?: string): Promise<string> {
    return this.media.upload(data, contentType, filename, asUser);
  }

  downloadMedia(mxc: string): Promise<DownloadedMedia> {
    return this.media.download(mxc);
  }

  /** Asks the homeserver to ping our appservice API; one attempt, the caller decides on retries. */
  async pingAppservice(appserviceId: string, transactionId?: string): Promise<{ durationMs: number }> {
    const res = await this.http.json<{ duration_ms: number }>({
      method: 'POST',
      path: path`/_matrix/client/v1/appservice/${appserviceId}/ping`,
      body: transactionId === undefined ? {} : { transaction_id: transactionId },
      retry: false,
    });
    return { durationMs: res.duration_ms };
  }

  private async roomAction(roomId: string, action: 'invite' | 'leave' | 'kick' | 'ban' | 'unban', body: Content, asUser?: string): Promise<void> {
    const withoutUndefined = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
    await this.http.json({ method: 'POST', path: path`/_matrix/client/v3/rooms/${roomId}/${action}`, query: { user_id: asUser }, body: withoutUndefined });
  }
}
