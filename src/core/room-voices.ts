/**
 * Who speaks for the bridge in a room its bot is not in. A Matrix user who starts a direct chat by
 * inviting a ghost has only that ghost with them: core's notices there (a message that was not
 * delivered, a bridge's own notice) go as that ghost, for the bot cannot send into a room it is not
 * in, and a notice nobody sees leaves the user thinking their message went.
 */
import type { MatrixClient } from '../matrix/client.js';
import { MatrixError } from '../matrix/errors.js';
import type { KeyValue } from '../store/store.js';

const KV = 'core';
const key = (roomId: string) => `room-voice:${roomId}`;

export class RoomVoices {
  constructor(
    private readonly kv: KeyValue,
    private readonly client: Pick<MatrixClient, 'sendEvent'>,
  ) {}

  /** `userId` (a ghost in the room) speaks for the bridge in `roomId` from now on. */
  remember(roomId: string, userId: string): Promise<void> {
    return this.kv.set(KV, key(roomId), userId);
  }

  /**
   * Sends as the bot or, where the homeserver refuses that (403: the bot is not in the room), as
   * the room's voice when it has one; else the bot's refusal is thrown.
   */
  async sendEvent(
    roomId: string,
    type: string,
    content: Record<string, unknown>,
    txnId: string,
    ts?: number,
  ): Promise<string> {
    try {
      return await this.client.sendEvent(roomId, type, content, txnId, undefined, ts);
    } catch (err) {
      if (!(err instanceof MatrixError) || err.status !== 403) throw err;
      const voice = await this.kv.get(KV, key(roomId));
      if (voice === undefined) throw err;
      return this.client.sendEvent(roomId, type, content, `${txnId}.voice`, voice, ts);
    }
  }
}
