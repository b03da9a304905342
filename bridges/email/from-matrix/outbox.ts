/**
 * Mail from Matrix on its way out. A mail whose first try fails for now (no connection, a 4xx) is
 * written to the outbox (the key-value store: `q:<Message-ID>`, and the list of them under
 * `outbox`; until the first try ends core holds its Matrix event), so a submission server that
 * is down does not lose it: the outbox
 * tries again with backoff (`send_retry.first_ms`, doubling to `max_ms`) across restarts, and
 * gives up after `give_up_after_ms` or at a permanent refusal (5xx), when the Matrix sender is told.
 *
 * `Confirmations` are what core waits for (`SendResult.confirmed`): a mail that left is confirmed
 * once `bounce_wait_ms` passed without a delivery report (DSN) about it, one still in the outbox
 * once it left; a DSN or a final failure meanwhile fails the Matrix event (core tells its sender).
 */
import { BridgeError, type KeyValueStore, type PortalKey } from '../../../src/connector.js';

export interface OutboxEntry {
  /** The mail's Message-ID. */
  id: string;
  portal: PortalKey;
  mailboxId: string;
  /** The SMTP envelope. */
  from: string;
  to: string[];
  /** The MIME message, base64. */
  raw: string;
  /** The Matrix user who wrote it, and what, for telling them. */
  sender: string;
  subject: string;
  attempts: number;
  firstAt: number;
  nextAt: number;
  lastError?: string;
}

export interface RetryPolicy {
  first_ms: number;
  max_ms: number;
  give_up_after_ms: number;
}

export interface OutboxDeps {
  kv: KeyValueStore;
  policy: RetryPolicy;
  /** One try; throws a BridgeError (`retriable` for a temporary failure). */
  send(entry: OutboxEntry): Promise<void>;
  sent(entry: OutboxEntry): Promise<void>;
  failed(entry: OutboxEntry, error: BridgeError): Promise<void>;
  log: { info(o: object, msg: string): void; warn(o: object, msg: string): void };
}

const INDEX = 'outbox';
const entryKey = (id: string) => `q:${id}`;

export class Outbox {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** Serializes changes of the index (and the runs). */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: OutboxDeps) {}

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Resumes what an earlier run left in the outbox. */
  async start(): Promise<void> {
    this.stopped = false;
    const ids = (await this.deps.kv.get<string[]>(INDEX)) ?? [];
    if (ids.length) this.deps.log.info({ mails: ids.length }, 'outbox: mails waiting to be sent');
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** The index as stored (the outbox is its only writer), read once. */
  private index?: string[];

  private async ids(): Promise<string[]> {
    this.index ??= (await this.deps.kv.get<string[]>(INDEX)) ?? [];
    return this.index;
  }

  /** Writes a mail to the outbox (its entry and the index issued together: one commit). */
  add(entry: OutboxEntry): Promise<void> {
    return this.locked(async () => {
      const ids = await this.ids();
      if (!ids.includes(entry.id)) this.index = [...ids, entry.id];
      await Promise.all([
        this.deps.kv.set(entryKey(entry.id), entry),
        ids.includes(entry.id) ? undefined : this.deps.kv.set(INDEX, this.index),
      ]).catch((err: unknown) => {
        this.index = undefined; // read again: the write may not have been stored
        throw err;
      });
    });
  }

  remove(id: string): Promise<void> {
    return this.locked(async () => {
      const ids = await this.ids();
      const rest = ids.filter((x) => x !== id);
      this.index = rest;
      // Issued together: one commit for both.
      await Promise.all([
        rest.length < ids.length ? this.deps.kv.set(INDEX, rest) : undefined,
        this.deps.kv.delete(entryKey(id)),
      ]).catch((err: unknown) => {
        this.index = undefined;
        throw err;
      });
    });
  }

  /** The first try failed for now: the outbox tries again later. */
  async deferred(entry: OutboxEntry, error: BridgeError): Promise<void> {
    await this.retryLater(entry, error);
    this.schedule(this.deps.policy.first_ms);
  }

  private wait(attempts: number): number {
    const { first_ms, max_ms } = this.deps.policy;
    return Math.min(max_ms, first_ms * 2 ** Math.min(attempts - 1, 20));
  }

  private retryLater(entry: OutboxEntry, error: BridgeError): Promise<void> {
    const attempts = entry.attempts + 1;
    const next: OutboxEntry = {
      ...entry,
      attempts,
      nextAt: Date.now() + this.wait(attempts),
      lastError: error.userMessage,
    };
    this.deps.log.warn(
      { portal: entry.portal, messageId: entry.id, attempts, retryInMs: next.nextAt - Date.now() },
      'outbox: sending failed for now; trying again later',
    );
    return this.locked(() => this.deps.kv.set(entryKey(entry.id), next));
  }

  private schedule(inMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), Math.max(0, inMs));
    this.timer.unref?.();
  }

  /** Tries every mail that is due; schedules the next run at the earliest next try. */
  private running = false;

  private async run(): Promise<void> {
    if (this.running) return this.schedule(1000);
    this.running = true;
    try {
      await this.runOnce();
    } catch (err) {
      // A send under way when the bridge stopped ends after the store closed: nothing to do then
      // (the mail is still in the outbox for the next start). Else the store failed: try later.
      if (this.stopped) return;
      this.deps.log.warn({ err }, 'outbox: could not go through the waiting mail; trying again');
      this.schedule(this.deps.policy.first_ms);
    } finally {
      this.running = false;
    }
  }

  private async runOnce(): Promise<void> {
    let next = Infinity;
    const ids = [...(await this.ids())];
    for (const id of ids) {
      if (this.stopped) return;
      const entry = await this.deps.kv.get<OutboxEntry>(entryKey(id));
      if (!entry) continue;
      if (entry.nextAt > Date.now()) {
        next = Math.min(next, entry.nextAt);
        continue;
      }
      try {
        await this.deps.send(entry);
      } catch (err) {
        const error =
          err instanceof BridgeError
            ? err
            : new BridgeError('network', (err as Error).message, true);
        const tooLate = Date.now() - entry.firstAt >= this.deps.policy.give_up_after_ms;
        if (error.retriable && !tooLate) {
          await this.retryLater(entry, error);
          next = Math.min(next, Date.now() + this.wait(entry.attempts + 1));
          continue;
        }
        await this.remove(id);
        const final = error.retriable
          ? new BridgeError(
              'network',
              `the mail could not be sent in ${entry.attempts + 1} tries over ${Math.round((Date.now() - entry.firstAt) / 1000)} s (last: ${error.userMessage})`,
            )
          : error;
        await this.deps.failed(entry, final).catch(() => undefined);
        continue;
      }
      await this.remove(id);
      await this.deps.sent(entry).catch(() => undefined);
    }
    if (next !== Infinity) this.schedule(next - Date.now());
  }
}

/** Core's waits for mails from Matrix (`SendResult.confirmed`), by Message-ID. */
export class Confirmations {
  private readonly pending = new Map<
    string,
    { resolve(): void; reject(e: BridgeError): void; timer?: NodeJS.Timeout }
  >();

  constructor(private readonly bounceWaitMs: number) {}

  /** A promise for core; `left`: the mail is out already (the bounce wait starts now). */
  wait(id: string, left: boolean): Promise<void> | undefined {
    if (left && this.bounceWaitMs === 0) return undefined;
    const promise = new Promise<void>((resolve, reject) =>
      this.pending.set(id, { resolve, reject }),
    );
    if (left) this.left(id);
    return promise;
  }

  /** The mail left (now, or from the outbox): confirmed unless a DSN comes within the wait. */
  left(id: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    if (this.bounceWaitMs === 0) return this.settle(id, undefined);
    p.timer = setTimeout(() => this.settle(id, undefined), this.bounceWaitMs);
    p.timer.unref?.();
  }

  /** Fails core's wait; false when nobody waits (the sender is to be told another way). */
  fail(id: string, error: BridgeError): boolean {
    if (!this.pending.has(id)) return false;
    this.settle(id, error);
    return true;
  }

  /** At stop: every wait ends as taken (a later bounce still comes as a notice). */
  stop(): void {
    for (const id of [...this.pending.keys()]) this.settle(id, undefined);
  }

  private settle(id: string, error: BridgeError | undefined): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (error) p.reject(error);
    else p.resolve();
  }
}
