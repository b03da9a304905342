/**
 * What waits for a connection that is down (or connecting for the first time): in order, within
 * the network's `queue_while_down` bounds, counted from when the connection went down (so a
 * message queued behind one that timed out fails at once instead of waiting the whole bound
 * again); past them each fails with a retriable BridgeError.
 */
import { BridgeError } from '../../../src/connector.js';
import type { ConnectionLimits } from './connection-limits.js';

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

export class DownWaiters {
  private waiters: Waiter[] = [];
  /** Since when the connection has been down (or connecting for the first time); undefined while up. */
  private downSince?: number;

  constructor(
    private readonly limits: ConnectionLimits,
    private readonly host: string,
  ) {}

  /** How many wait. */
  get count(): number {
    return this.waiters.length;
  }

  /** The connection is down, or connecting (the bound counts from the first of these). */
  down(): void {
    this.downSince ??= Date.now();
  }

  /** The connection is up (registered): everyone waiting goes ahead. */
  up(): void {
    this.downSince = undefined;
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  /** The connection will not come back in time (closed, refused): everyone waiting fails with `err`. */
  fail(err: Error): void {
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  /**
   * Resolves when the connection is up. Waits until `queue_while_down.max_wait_seconds` after the
   * connection went down (or `timeoutMs`, if given); then, or at once when `max_messages` already
   * wait (`bounded`: not for the bot), rejects with a retriable BridgeError.
   */
  wait(timeoutMs: number | undefined, bounded: boolean): Promise<void> {
    const wait = timeoutMs ?? this.limits.queueMaxWaitMs - this.downForMs();
    if (wait <= 0) return Promise.reject(this.downError());
    if (bounded && this.waiters.length >= this.limits.queueMaxMessages)
      return Promise.reject(
        new BridgeError(
          'not-connected',
          `${this.waiters.length} messages are already waiting for the IRC connection to ${this.host} to come back`,
          true,
        ),
      );
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (err: Error) => (clearTimeout(timer), reject(err)),
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(this.downError());
      }, wait);
      this.waiters.push(waiter);
    });
  }

  private downForMs(): number {
    return this.downSince === undefined ? 0 : Date.now() - this.downSince;
  }

  /** The existing "not delivered" error (retriable), with how long the connection has been down. */
  private downError(): BridgeError {
    const seconds = Math.round(this.downForMs() / 1000);
    return new BridgeError(
      'not-connected',
      `could not connect to IRC at ${this.host} in time (down for ${seconds} s)`,
      true,
    );
  }
}
