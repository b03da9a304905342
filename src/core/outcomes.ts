/**
 * Every Matrix event routed to a bridge ends with a recorded outcome. Successes
 * are group-committed; a failure is shown to the sender in the room (a
 * message-status event and a notice a 🔁 reaction retries) and recorded at once.
 */
import type { Logger } from 'pino';
import { BridgeError } from '../connector.js';
import type { InboxOutcome, Store } from '../store/store.js';
import { Batcher } from './batcher.js';
import type { RoomVoices } from './room-voices.js';

export const RETRY_KEY = '🔁';

export interface FailedDelivery {
  eventId: string;
  roomId: string;
  bridge: string;
  bridgeName: string;
  error: unknown;
  /** False for a relayed message of another network's ghost: nobody in Matrix to tell. */
  notify?: boolean;
}

export class Outcomes {
  private readonly done: Batcher<InboxOutcome>;

  constructor(
    private readonly store: Store,
    /** The bot, or the room's voice where the bot is not in it (a direct chat a user started). */
    private readonly voices: Pick<RoomVoices, 'sendEvent'>,
    private readonly log: Logger,
  ) {
    this.done = new Batcher(
      (items) => store.inbox.finish(items),
      // Unrecorded successes are replayed after a restart; the message map keeps them from doubling.
      (err, items) => log.error({ err, count: items.length }, 'could not record finished events'),
    );
  }

  succeeded(eventId: string, bridge: string | null): void {
    this.done.add({ eventId, state: 'done', bridge });
  }

  async failed(f: FailedDelivery): Promise<void> {
    const bridgeError = f.error instanceof BridgeError ? f.error : undefined;
    const reason =
      bridgeError?.userMessage ?? 'an internal error in the bridge (its log has details)';
    this.log.warn(
      { eventId: f.eventId, roomId: f.roomId, bridge: f.bridge, err: f.error },
      'event not delivered',
    );
    const retriable = bridgeError?.retriable ?? true;
    let noticeEventId: string | undefined;
    const unique = `${f.eventId}.${Date.now()}`;
    if (f.notify === false) {
      await this.done.flush();
      return this.store.inbox.finish([
        { eventId: f.eventId, state: 'failed', bridge: f.bridge, reason },
      ]);
    }
    try {
      await this.voices.sendEvent(
        f.roomId,
        'com.beeper.message_send_status',
        {
          network: f.bridge,
          'm.relates_to': { rel_type: 'm.reference', event_id: f.eventId },
          status: 'FAIL',
          reason:
            bridgeError?.code === 'unsupported' ? 'm_event_unsupported' : 'm_foreign_network_error',
          error: bridgeError?.code ?? 'internal',
          message: reason,
          retriable,
        },
        `sb.status.${unique}`,
      );
      noticeEventId = await this.voices.sendEvent(
        f.roomId,
        'm.room.message',
        {
          msgtype: 'm.notice',
          // Retrying helps only when the failure may pass (a network outage, say), so only then is it offered.
          body: `⚠️ Not delivered to ${f.bridgeName}: ${reason}.${retriable ? ` React with ${RETRY_KEY} to retry.` : ''}`,
          'm.relates_to': { 'm.in_reply_to': { event_id: f.eventId } },
        },
        `sb.notice.${unique}`,
      );
    } catch (err) {
      this.log.error(
        { err, eventId: f.eventId, roomId: f.roomId },
        'could not tell the sender about a failed event',
      );
    }
    await this.done.flush();
    await this.store.inbox.finish([
      {
        eventId: f.eventId,
        state: 'failed',
        bridge: f.bridge,
        reason,
        ...(noticeEventId ? { noticeEventId } : {}),
      },
    ]);
  }

  flush(): Promise<void> {
    return this.done.flush();
  }
}
