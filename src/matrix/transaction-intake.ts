/**
 * How a homeserver's transaction is taken in, whichever way its request came (Express's route or
 * the plain node:http fast path): the body parsed and validated, handed to the handler once (a
 * retry that arrives while the first is still being stored waits for the same work), answered.
 */
import type { Logger } from 'pino';
import { parseTransaction, type Transaction } from './transaction.js';

/** A handler failure its handler has already told the admin about: answered 500, logged at debug only. */
export class ReportedFailure extends Error {
  override readonly name = 'ReportedFailure';
}

/**
 * Resolve only once the transaction is stored durably; a rejection answers 500 so the homeserver
 * retries. `receivedAt` (performance.now()) is when its body had arrived, for latency metrics.
 */
export type TransactionHandler = (
  txnId: string,
  txn: Transaction,
  receivedAt: number,
) => Promise<void>;

export interface Answer {
  status: number;
  body: object;
}

const OK: Answer = { status: 200, body: {} };
const matrixError = (status: number, errcode: string, error: string): Answer => ({
  status,
  body: { errcode, error },
});

export class TransactionIntake {
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly handle: TransactionHandler,
    private readonly log: Logger,
    /** Told how long each answer took (seconds from the body's arrival) and its status. */
    private readonly answered?: (seconds: number, status: number) => void,
  ) {}

  /** The answer for `PUT …/transactions/{txnId}` with this body; never rejects. */
  async receive(txnId: string, body: unknown, receivedAt: number): Promise<Answer> {
    const answer = await this.answer(txnId, body, receivedAt);
    this.answered?.((performance.now() - receivedAt) / 1000, answer.status);
    return answer;
  }

  private async answer(txnId: string, body: unknown, receivedAt: number): Promise<Answer> {
    const json = parseJsonBody(body);
    if (json === NOT_JSON) return matrixError(400, 'M_NOT_JSON', 'Body is not valid JSON');
    const txn = parseTransaction(json, txnId, this.log);
    if (!txn.ok) return matrixError(400, 'M_BAD_JSON', txn.reason);
    let work = this.inFlight.get(txnId);
    if (!work) {
      work = this.handle(txnId, txn.value, receivedAt).finally(() => this.inFlight.delete(txnId));
      this.inFlight.set(txnId, work);
    }
    try {
      await work;
      return OK;
    } catch (err) {
      if (err instanceof ReportedFailure) this.log.debug({ err, txnId }, 'transaction failed');
      else this.log.error({ err, txnId }, 'transaction failed');
      // Without details: the log keeps them.
      return matrixError(500, 'M_UNKNOWN', 'Internal server error');
    }
  }
}

export const NOT_JSON = Symbol('not json');

export function parseJsonBody(body: unknown): unknown {
  if (!Buffer.isBuffer(body) || body.length === 0) return NOT_JSON;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return NOT_JSON;
  }
}
