/**
 * Display names and avatars of Matrix users per room, learnt from member events, fetched when
 * unknown.
 */
import type { MatrixClient } from '../matrix/client.js';

const MAX_ENTRIES = 50_000;
const MXC = /^mxc:\/\/[^/\s]+\/[^/\s]+$/;

export interface MemberProfile {
  displayName: string;
  /** Their avatar in the room (an `mxc://` URL), when they have one. */
  avatarUrl?: string;
}

export class MemberNames {
  private readonly members = new Map<string, MemberProfile>();

  constructor(private readonly client: MatrixClient) {}

  note(roomId: string, userId: string, displayName: unknown, avatarUrl?: unknown): void {
    const key = `${roomId} ${userId}`;
    this.members.delete(key); // re-insert: the Map's order doubles as recency
    this.members.set(key, {
      displayName:
        typeof displayName === 'string' && displayName.trim() ? displayName : localpartOf(userId),
      ...(typeof avatarUrl === 'string' && MXC.test(avatarUrl) ? { avatarUrl } : {}),
    });
    if (this.members.size > MAX_ENTRIES) this.members.delete(this.members.keys().next().value!);
  }

  async get(roomId: string, userId: string): Promise<string> {
    return (await this.profile(roomId, userId)).displayName;
  }

  async profile(roomId: string, userId: string): Promise<MemberProfile> {
    const known = this.members.get(`${roomId} ${userId}`);
    if (known !== undefined) return known;
    const member = (await this.client
      .getState(roomId, 'm.room.member', userId)
      .catch(() => undefined)) as { displayname?: unknown; avatar_url?: unknown } | undefined;
    this.note(roomId, userId, member?.displayname, member?.avatar_url);
    return this.members.get(`${roomId} ${userId}`)!;
  }
}

const localpartOf = (userId: string) => userId.slice(1).split(':')[0] ?? userId;
