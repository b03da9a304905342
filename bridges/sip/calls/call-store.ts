/**
 * The calls in progress, kept in the bridge's store: after a crash (no clean stop to hang them up)
 * the next start tells Matrix each one ended. The SIP side of such a call is gone with the process
 * (its dialog state is not stored): the phone's own session timers end it.
 */
import type { Logger } from 'pino';
import type {
  KeyValueStore,
  PortalKey,
  RemoteEvent,
  RemoteUserId,
} from '../../../src/connector.js';

const KEY = 'calls-in-progress';

export interface StoredCall {
  portal: PortalKey;
  party: RemoteUserId;
}

export class CallStore {
  /** The calls in progress (the store's copy, read once, then kept here). */
  private calls?: Promise<Record<string, StoredCall>>;
  /** The write under way, and the next one (every change made meanwhile, written together). */
  private writing: Promise<void> = Promise.resolve();
  private next?: Promise<void>;

  constructor(private readonly kv: KeyValueStore) {}

  private current(): Promise<Record<string, StoredCall>> {
    this.calls ??= this.kv.get<Record<string, StoredCall>>(KEY).then((c) => c ?? {});
    return this.calls;
  }

  /**
   * Resolves once the store holds the change. A change made while a write is under way waits for
   * it and goes in the next write, with every other change made meanwhile: one write for many
   * calls when they come fast, not one (each an fsync) per call set-up and per hangup.
   */
  private async update(change: (calls: Record<string, StoredCall>) => void): Promise<void> {
    change(await this.current());
    this.next ??= this.writing.then(async () => {
      this.next = undefined;
      await this.kv.set(KEY, await this.current());
    });
    this.writing = this.next.catch(() => undefined);
    return this.next;
  }

  add(callId: string, call: StoredCall): Promise<void> {
    return this.update((calls) => void (calls[callId] = call));
  }

  remove(callId: string): Promise<void> {
    return this.update((calls) => void delete calls[callId]);
  }

  /** The calls the previous run left in the store (they are forgotten here). */
  async takeLeftOver(): Promise<Record<string, StoredCall>> {
    const calls = { ...(await this.current()) };
    await this.update((c) => {
      for (const id of Object.keys(calls)) delete c[id];
    });
    return calls;
  }
}

export async function hangUpLeftOver(
  store: CallStore,
  matrix: { emit(event: RemoteEvent): Promise<void> },
  log: Logger,
): Promise<void> {
  for (const [callId, call] of Object.entries(await store.takeLeftOver())) {
    log.info({ portal: call.portal, callId }, 'a call of the previous run: hung up');
    await matrix
      .emit({
        kind: 'call',
        portal: call.portal,
        sender: call.party,
        action: 'hangup',
        callId,
        reason: 'unknown_error',
      })
      .catch(() => undefined);
  }
}
