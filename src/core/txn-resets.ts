/**
 * A homeserver restarts its transaction counter when it restarts (Synapse at 1): every transaction
 * after that reuses an old id with new events. That is one event for the admin, not one per
 * transaction: the first reused id of a run of rising ids is logged, the rest at debug level.
 */
import type { Logger } from 'pino';

export class TxnResets {
  /** The last id seen since the counter restarted; undefined before any restart. */
  private last?: number;

  constructor(private readonly log: Logger) {}

  /** Called for every new transaction; `reset` when its id was seen before with other events. */
  seen(txnId: string, reset: boolean): void {
    const id = Number(txnId);
    const numeric = Number.isSafeInteger(id);
    if (!reset) {
      if (numeric && this.last !== undefined) this.last = id;
      return;
    }
    const sameRun = numeric && this.last !== undefined && id > this.last;
    this.last = numeric ? id : undefined;
    if (sameRun) {
      this.log.debug({ txnId }, 'transaction id reused after the counter restart');
      return;
    }
    this.log.warn(
      { txnId },
      'the homeserver restarted its transaction ids (it restarted); later transactions reuse old ids with new events, and all are processed. Logged once per restart.',
    );
  }
}
