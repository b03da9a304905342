/** The small set of Redis Streams operations both sides of the pool protocol use (ioredis). */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface StreamEntry {
  id: string;
  fields: string[];
}

/** A Redis connection that reports (once per outage) instead of throwing unhandled errors. */
export function redisClient(url: string, log: Logger, name: string): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    lazyConnect: true,
    connectionName: name,
  });
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    log.warn({ err: { message: err.message }, redis: name }, 'Redis connection problem; retrying');
  });
  redis.on('ready', () => {
    if (down) log.info({ redis: name }, 'Redis connection back');
    down = false;
  });
  return redis;
}

/** Creates the consumer group (reading from the stream's start, so nothing written before is missed). */
export async function ensureGroup(redis: Redis, stream: string, group: string): Promise<void> {
  try {
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
  } catch (err) {
    if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
  }
}

/**
 * Reads the group's entries for `consumer`: first those delivered to it before and never
 * acknowledged (a previous run of the same reader), then new ones, blocking up to `blockMs`.
 */
export class GroupReader {
  private pendingDone = false;
  /** Past which id the pending entries are still to be read. */
  private pendingFrom = '0';

  constructor(
    private readonly redis: Redis,
    private readonly stream: string,
    private readonly group: string,
    private readonly consumer: string,
  ) {}

  /**
   * Reads the next entries while `running()` says so: a failed read is reported to `failed` and
   * tried again a second later. Undefined once `running()` is false.
   */
  async readRetrying(
    count: number,
    blockMs: number,
    running: () => boolean,
    failed: (err: unknown) => void,
  ): Promise<StreamEntry[] | undefined> {
    while (running()) {
      try {
        return await this.read(count, blockMs);
      } catch (err) {
        if (!running()) return undefined;
        failed(err);
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
    return undefined;
  }

  async read(count: number, blockMs: number): Promise<StreamEntry[]> {
    const id = this.pendingDone ? '>' : this.pendingFrom;
    const reply = (await this.redis.call(
      'XREADGROUP',
      'GROUP',
      this.group,
      this.consumer,
      'COUNT',
      String(count),
      ...(this.pendingDone ? ['BLOCK', String(blockMs)] : []),
      'STREAMS',
      this.stream,
      id,
    )) as [string, [string, string[]][]][] | null;
    const entries = (reply?.[0]?.[1] ?? []).map(([entryId, fields]) => ({
      id: entryId,
      fields: fields ?? [],
    }));
    // Pending entries come back without blocking; once none are left, read new ones.
    if (!this.pendingDone) {
      if (entries.length === 0) this.pendingDone = true;
      else this.pendingFrom = entries[entries.length - 1]!.id;
    }
    return entries.filter((e) => e.fields.length > 0);
  }
}

/** Acknowledges and deletes handled entries (a stream holds only what is still to be handled). */
export async function ackAndDelete(
  redis: Redis,
  stream: string,
  group: string,
  ids: string[],
): Promise<void> {
  if (ids.length === 0) return;
  await redis
    .multi()
    .xack(stream, group, ...ids)
    .xdel(stream, ...ids)
    .exec();
}
