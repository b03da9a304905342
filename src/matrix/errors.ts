/**
 * Errors of the client-server API client. A `MatrixError` is an answer from the homeserver;
 * a `MatrixConnectionError` means no usable answer came (refused, reset, timed out).
 */

export class MatrixError extends Error {
  constructor(
    /** HTTP status of the answer. */
    readonly status: number,
    /** `M_FORBIDDEN`, `M_LIMIT_EXCEEDED`, …; `M_UNKNOWN` when the body carried none. */
    readonly errcode: string,
    /** The homeserver's human-readable text. */
    readonly error: string,
    /** How long the homeserver asked us to wait (429), from the body or `Retry-After`. */
    readonly retryAfterMs?: number,
  ) {
    super(`${status} ${errcode}: ${error}`);
    this.name = 'MatrixError';
  }

  /** Whether trying the same request later may succeed (rate limit or server-side failure). */
  get transient(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

export class MatrixConnectionError extends Error {
  constructor(
    message: string,
    /** True when the request certainly never reached the homeserver (connection refused). */
    readonly notSent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MatrixConnectionError';
  }
}

/** Whether a failed call is worth repeating later (an outbox uses this to keep or drop an item). */
export function isTransient(err: unknown): boolean {
  if (err instanceof MatrixError) return err.transient;
  return err instanceof MatrixConnectionError;
}

export const hasErrcode = (err: unknown, errcode: string): err is MatrixError =>
  err instanceof MatrixError && err.errcode === errcode;
