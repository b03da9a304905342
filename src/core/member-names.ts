/** Display names of Matrix users per room, learnt from member events, fetched when unknown. */
import type { MatrixClient } from '../matrix/client.js';

const MAX_ENTRIES = 50_000;

export class MemberNames {
  private readonly names = new Map<string, string>();

  constructor(private readonly client: MatrixClient) {}

  note(roomId: string, userId: string, displayName: unknown): void {
    const key = `${roomId} ${userId}`;
    this.names.delete(key); // re-insert: the Map's order doubles as recency
    this.names.set(
      key,
      typeof displayName === 'string' && displayName.trim() ? displayName : localpartOf(userId),
    );
    if (this.names.size > MAX_ENTRIES) this.names.delete(this.names.keys().next().value!);
  }

  async get(roomId: string, userId: string): Promise<string> {
    const known = this.names.get(`${roomId} ${userId}`);
    if (known !== undefined) return known;
    const member = (await this.client
      .getState(roomId, 'm.room.member', userId)
      .catch(() => undefined)) as { displayname?: unknown } | undefined;
    this.note(roomId, userId, member?.displayname);
    return this.names.get(`${roomId} ${userId}`)!;
  }
}

const localpartOf = (userId: string) => userId.slice(1).split(':')[0] ?? userId;
