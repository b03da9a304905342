/**
 * Display names and avatars of Matrix users per room, learnt from member events, fetched when
 * unknown: the first miss in a room fetches all its joined members at once (after a restart each
 * sender's first message would otherwise wait, in room order, for a look-up of its own), later
 * misses the one member.
 */
import type { MatrixClient } from '../matrix/client.js';

const MAX_ENTRIES = 50_000;
/** A bigger room is not loaded whole: it would push everyone else's names out. */
const MAX_ROOM_LOAD = 5_000;
const MXC = /^mxc:\/\/[^/\s]+\/[^/\s]+$/;

export interface MemberProfile {
  displayName: string;
  /** Their avatar in the room (an `mxc://` URL), when they have one. */
  avatarUrl?: string;
}

export class MemberNames {
  private readonly members = new Map<string, MemberProfile>();
  /** Rooms whose joined members were fetched (or are being), by their fetch. */
  private readonly loaded = new Map<string, Promise<void>>();

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
    const key = `${roomId} ${userId}`;
    if (!this.members.has(key)) await this.loadRoom(roomId);
    const known = this.members.get(key);
    if (known !== undefined) return known;
    const member = (await this.client
      .getState(roomId, 'm.room.member', userId)
      .catch(() => undefined)) as { displayname?: unknown; avatar_url?: unknown } | undefined;
    this.note(roomId, userId, member?.displayname, member?.avatar_url);
    return this.members.get(key)!;
  }

  private loadRoom(roomId: string): Promise<void> {
    let load = this.loaded.get(roomId);
    if (!load) {
      load = this.client.joinedMembers(roomId).then(
        (joined) => {
          const entries = Object.entries(joined);
          if (entries.length > MAX_ROOM_LOAD) return;
          for (const [userId, m] of entries)
            this.note(roomId, userId, m.display_name, m.avatar_url);
        },
        () => undefined, // each member is then asked for alone
      );
      this.loaded.set(roomId, load);
      if (this.loaded.size > MAX_ENTRIES) this.loaded.delete(this.loaded.keys().next().value!);
    }
    return load;
  }
}

const localpartOf = (userId: string) => userId.slice(1).split(':')[0] ?? userId;
