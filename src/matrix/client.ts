/**
 * The client-server API as an appservice uses it: the room endpoints (`RoomClient`) plus account,
 * profile, presence, directory, media and ping. The token goes only in the Authorization header.
 */
import type { Logger } from 'pino';
import { hasErrcode } from './errors.js';
import type { ClientEvent } from './events.js';
import { MatrixHttp, path, type RetryPolicy } from './http.js';
import { MediaApi, type DownloadedMedia } from './media.js';
import { RoomClient } from './room-client.js';

export type { DownloadedMedia } from './media.js';
export type { JoinedMembers } from './room-client.js';

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

export class MatrixClient extends RoomClient {
  private readonly media: MediaApi;

  constructor(opts: MatrixClientOptions) {
    super(new MatrixHttp(opts));
    this.media = new MediaApi(this.http, opts.maxDownloadBytes ?? 100 * 1024 * 1024);
  }

  versions(): Promise<{ versions: string[]; unstable_features?: Record<string, boolean> }> {
    return this.http.json({ method: 'GET', path: '/_matrix/client/versions', anonymous: true });
  }

  whoami(asUser?: string): Promise<{ user_id: string; device_id?: string; is_guest?: boolean }> {
    return this.http.json({
      method: 'GET',
      path: '/_matrix/client/v3/account/whoami',
      query: { user_id: asUser },
    });
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

  /** Only a user may set its own profile: `asUser` defaults to `userId`. */
  async setDisplayName(userId: string, name: string, asUser: string = userId): Promise<void> {
    await this.http.json({
      method: 'PUT',
      path: path`/_matrix/client/v3/profile/${userId}/displayname`,
      query: { user_id: asUser },
      body: { displayname: name },
    });
  }

  async setAvatarUrl(userId: string, mxc: string, asUser: string = userId): Promise<void> {
    await this.http.json({
      method: 'PUT',
      path: path`/_matrix/client/v3/profile/${userId}/avatar_url`,
      query: { user_id: asUser },
      body: { avatar_url: mxc },
    });
  }

  getProfile(userId: string): Promise<Profile> {
    return this.http.json({ method: 'GET', path: path`/_matrix/client/v3/profile/${userId}` });
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
    await this.http.json({
      method: 'PUT',
      path: path`/_matrix/client/v3/directory/room/${alias}`,
      query: { user_id: asUser },
      body: { room_id: roomId },
    });
  }

  async deleteAlias(alias: string, asUser?: string): Promise<void> {
    await this.http.json({
      method: 'DELETE',
      path: path`/_matrix/client/v3/directory/room/${alias}`,
      query: { user_id: asUser },
    });
  }

  /** The room an alias points to, or undefined when the alias does not exist. */
  async resolveAlias(alias: string): Promise<{ roomId: string; servers: string[] } | undefined> {
    try {
      const res = await this.http.json<{ room_id: string; servers?: string[] }>({
        method: 'GET',
        path: path`/_matrix/client/v3/directory/room/${alias}`,
      });
      return { roomId: res.room_id, servers: res.servers ?? [] };
    } catch (err) {
      if (hasErrcode(err, 'M_NOT_FOUND')) return undefined;
      throw err;
    }
  }

  uploadMedia(
    data: Uint8Array,
    contentType: string,
    filename?: string,
    asUser?: string,
  ): Promise<string> {
    return this.media.upload(data, contentType, filename, asUser);
  }

  downloadMedia(mxc: string): Promise<DownloadedMedia> {
    return this.media.download(mxc);
  }

  /** Asks the homeserver to ping our appservice API; one attempt, the caller decides on retries. */
  async pingAppservice(
    appserviceId: string,
    transactionId?: string,
  ): Promise<{ durationMs: number }> {
    const res = await this.http.json<{ duration_ms: number }>({
      method: 'POST',
      path: path`/_matrix/client/v1/appservice/${appserviceId}/ping`,
      body: transactionId === undefined ? {} : { transaction_id: transactionId },
      retry: false,
    });
    return { durationMs: res.duration_ms };
  }

  /**
   * One event of a room, as the bot (or `asUser`) may see it; one attempt, since a caller that
   * only wants it for a quote had rather go on without it than wait.
   */
  getEvent(roomId: string, eventId: string, asUser?: string): Promise<ClientEvent> {
    return this.http.json<ClientEvent>({
      method: 'GET',
      path: path`/_matrix/client/v3/rooms/${roomId}/event/${eventId}`,
      query: { user_id: asUser },
      retry: false,
    });
  }
}
