/**
 * How Synapse sends events to an appservice (../shared/peers/synapse-appservice.md): every event
 * of a room the appservice is interested in (one of its users is a member), its own included, in
 * one ordered queue, one transaction in flight, up to 100 events each. A transaction that fails is
 * sent again, with the same id, before anything else.
 */
import type { ClientEvent } from '../../../src/matrix/events.js';

export type StreamMode =
  /** Synapse: every event, the appservice's own included. */
  | 'all'
  /** Every event but the appservice's own: kinder than Synapse, for comparison only. */
  | 'others';

const MAX_EVENTS = 100;
const RETRY_MS = 100;

export class AppserviceStream {
  private readonly queue: ClientEvent[] = [];
  private running = false;
  private idleWaiters: (() => void)[] = [];
  /** Transactions sent, and events in them. */
  readonly sent = { transactions: 0, events: 0 };

  constructor(
    readonly mode: StreamMode,
    private readonly nextTxnId: () => string,
    private readonly put: (txnId: string, events: ClientEvent[]) => Promise<{ status: number }>,
  ) {}

  enqueue(event: ClientEvent): void {
    this.queue.push(event);
    if (!this.running) void this.run();
  }

  /** Resolves once everything queued so far has been taken by the appservice. */
  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async run(): Promise<void> {
    this.running = true;
    // Events appended in the same turn go out together, as Synapse batches what queued meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_EVENTS);
      const txnId = this.nextTxnId();
      for (;;) {
        const { status } = await this.put(txnId, batch).catch(() => ({ status: 0 }));
        if (status === 200) break;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
      this.sent.transactions++;
      this.sent.events += batch.length;
    }
    this.running = false;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
