/**
 * The calls in progress, kept in the bridge's store: after a crash (no clean stop to hang them up)
 * the next start tells Matrix each one ended. The SIP side of such a call is gone with the process
 * (its dialog state is not stored): the phone's own session timers end it.
 */
import type { Logger } from 'pino';
import type { KeyValueStore, PortalKey, RemoteEvent, RemoteUserId } from '../../src/connector.js';

const KEY = 'calls-in-progress';

export interface StoredCall {
  portal: PortalKey;
  party: RemoteUserId;
}

export class CallStore {
  /** Writes go one after another, so the stored list is the latest. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly kv: KeyValueStore) {}

  private update(change: (calls: Record<string, StoredCall>) => void): Promise<void> {
    this.chain = this.chain.then(async () => {
      const calls = (await this.kv.get<Record<string, StoredCall>>(KEY)) ?? {};
      change(calls);
      await this.kv.set(KEY, calls);
    });
    return this.chain;
  }

  add(callId: string, call: StoredCall): Promise<void> {
    return this.update((calls) => void (calls[callId] = call));
  }

  remove(callId: string): Promise<void> {
    return this.update((calls) => void delete calls[callId]);
  }

  /** The calls a previous run left in progress; the list is emptied. */
  async takeLeftOver(): Promise<Record<string, StoredCall>> {
    await this.chain;
    const calls = (await this.kv.get<Record<string, StoredCall>>(KEY)) ?? {};
    await this.kv.set(KEY, {});
    return calls;
  }
}

/** Tells Matrix that each call a crashed run left in progress ended. */
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
