/**
 * The last message id seen in each channel, for the catch-up after a new session. Kept in memory
 * and written to the store at most once a second per channel (and at stop), not once per message:
 * what a crash loses is at most a second of ids, whose messages the catch-up fetches again and
 * core drops as already bridged.
 */
import type { KeyValueStore } from '../../../src/connector.js';

const key = (channelId: string) => `last:${channelId}`;

export class LastSeen {
  private readonly pending = new Map<string, string>();
  private readonly known = new Map<string, string>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly kv: KeyValueStore,
    private readonly everyMs = 1_000,
  ) {}

  async get(channelId: string): Promise<string | undefined> {
    return this.known.get(channelId) ?? (await this.kv.get<string>(key(channelId)));
  }

  async set(channelId: string, id: string): Promise<void> {
    const last = this.known.get(channelId);
    if (last !== undefined && BigInt(last) >= BigInt(id)) return;
    this.known.set(channelId, id);
    this.pending.set(channelId, id);
    this.timer ??= setTimeout(() => void this.flush(), this.everyMs);
    this.timer.unref();
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const writes = [...this.pending];
    this.pending.clear();
    for (const [channelId, id] of writes) await this.kv.set(key(channelId), id);
  }
}
