/**
 * One request to the homeserver, with bounded retries: exponential backoff on network errors and
 * 5xx, the server's own delay on 429, no retry on other 4xx. The as_token travels only in the
 * `Authorization` header, never in a URL (URLs end up in logs).
 */
import type { Logger } from 'pino';
import { MatrixConnectionError, MatrixError } from './errors.js';
import { retryAfterMs } from './retry-after.js';
import { Transport, type TransportReply } from './transport.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A 429 asking for a longer wait is thrown at once (with `retryAfterMs`) for the caller to schedule. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
};

export interface HttpOptions {
  homeserverUrl: string;
  asToken: string;
  log: Logger;
  retry?: Partial<RetryPolicy>;
  /** Per attempt. */
  timeoutMs?: number;
}

export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface RequestSpec {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Built with `path`…``, so every interpolated segment is encoded. */
  path: string;
  query?: Query;
  /** JSON-encoded unless it is raw bytes. */
  body?: unknown;
  contentType?: string;
  /**
   * False when repeating a request that may have reached the server would do harm (createRoom):
   * then only 429s and refused connections are retried.
   */
  idempotent?: boolean;
  /** False to make exactly one attempt. */
  retry?: boolean;
  /** Skip the Authorization header (legacy unauthenticated media). */
  anonymous?: boolean;
}

/** Tagged template that URL-encodes each interpolated path segment. */
export function path(strings: TemplateStringsArray, ...segments: string[]): string {
  return strings.reduce(
    (out, s, i) => out + s + (i < segments.length ? encodeURIComponent(segments[i]!) : ''),
    '',
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class MatrixHttp {
  private readonly policy: RetryPolicy;
  private readonly transport: Transport;

  constructor(private readonly opts: HttpOptions) {
    this.policy = { ...DEFAULT_RETRY, ...opts.retry };
    this.transport = new Transport(opts.homeserverUrl, opts.timeoutMs ?? 60_000);
  }

  /** Closes kept-alive connections to the homeserver. */
  close(): void {
    this.transport.close();
  }

  /** Sends and parses a JSON answer. */
  async json<T>(spec: RequestSpec): Promise<T> {
    const res = await this.send(spec, true);
    const text = await res.text().catch((err: unknown) => {
      throw connectionError(err); // the timeout also covers reading the body
    });
    try {
      return (text === '' ? {} : JSON.parse(text)) as T;
    } catch {
      throw new MatrixError(
        res.status,
        'M_NOT_JSON',
        'The homeserver answered with a body that is not JSON',
      );
    }
  }

  /**
   * Sends with retries; returns the successful response unread (media downloads read it
   * themselves), or read whole when `buffered`.
   */
  async send(spec: RequestSpec, buffered = false): Promise<TransportReply> {
    const { policy, opts } = this;
    const attempts = spec.retry === false ? 1 : Math.max(1, policy.maxAttempts);
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(spec, buffered).catch((err: MatrixConnectionError) => err);
      let delay: number;
      if (outcome instanceof MatrixConnectionError) {
        // A request that may have reached the server is repeated only when repeating is harmless.
        if (attempt >= attempts || (spec.idempotent === false && !outcome.notSent)) throw outcome;
        delay = this.backoff(attempt);
        opts.log.warn(
          { method: spec.method, path: spec.path, reason: outcome.message, attempt, delay },
          'homeserver unreachable; will retry',
        );
      } else {
        if (outcome.ok) return outcome;
        const err = await toMatrixError(outcome);
        const retriable = err.status === 429 || (err.status >= 500 && spec.idempotent !== false);
        if (!retriable || attempt >= attempts) throw err;
        if (err.status === 429 && (err.retryAfterMs ?? 0) > policy.maxRetryAfterMs) throw err;
        delay =
          err.status === 429 ? (err.retryAfterMs ?? this.backoff(attempt)) : this.backoff(attempt);
        opts.log.warn(
          {
            method: spec.method,
            path: spec.path,
            status: err.status,
            errcode: err.errcode,
            attempt,
            delay,
          },
          'homeserver request will be retried',
        );
      }
      await sleep(delay);
    }
  }

  /** Exponential, capped, with jitter so many ghosts do not retry in lockstep. */
  private backoff(attempt: number): number {
    const exp = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(exp * (0.75 + Math.random() * 0.25));
  }

  private async attempt(spec: RequestSpec, buffered: boolean): Promise<TransportReply> {
    const headers: Record<string, string> = {};
    if (!spec.anonymous) headers.authorization = `Bearer ${this.opts.asToken}`;
    let body: string | Uint8Array | undefined;
    if (spec.body instanceof Uint8Array) {
      body = spec.body;
      headers['content-type'] = spec.contentType ?? 'application/octet-stream';
    } else if (spec.body !== undefined) {
      body = JSON.stringify(spec.body);
      headers['content-type'] = 'application/json';
    }
    try {
      return await this.transport.send(
        {
          method: spec.method,
          path: spec.path + queryString(spec.query),
          headers,
          ...(body !== undefined ? { body } : {}),
        },
        buffered,
      );
    } catch (err) {
      throw connectionError(err);
    }
  }
}

/** `?a=1&b=x`, each key and value encoded (by hand: URLSearchParams was a hot spot per send). */
function queryString(query: Query | undefined): string {
  if (!query) return '';
  let s = '';
  const add = (key: string, value: string) =>
    (s += `${s ? '&' : '?'}${encodeURIComponent(key)}=${encodeURIComponent(value)}`);
  for (const key in query) {
    const value = query[key];
    if (Array.isArray(value)) for (const v of value as readonly string[]) add(key, v);
    else if (value !== undefined) add(key, String(value));
  }
  return s;
}

/** Wraps whatever the request threw (refused, reset, timed out) in the one type callers check for. */
export function connectionError(err: unknown): MatrixConnectionError {
  if (err instanceof MatrixConnectionError) return err;
  const own = (err as { code?: unknown }).code;
  const cause = (err as { cause?: { code?: unknown } }).cause;
  const code =
    typeof own === 'string' ? own : typeof cause?.code === 'string' ? cause.code : undefined;
  if ((err as { name?: string }).name === 'TimeoutError') {
    return new MatrixConnectionError('request timed out', false, { cause: err });
  }
  return new MatrixConnectionError(
    code ?? (err as Error).message ?? 'fetch failed',
    code === 'ECONNREFUSED',
    { cause: err },
  );
}

async function toMatrixError(res: TransportReply): Promise<MatrixError> {
  let body: { errcode?: unknown; error?: unknown; retry_after_ms?: unknown } = {};
  try {
    const parsed: unknown = JSON.parse(await res.text());
    if (typeof parsed === 'object' && parsed !== null) body = parsed;
  } catch {
    // Not JSON (a proxy's error page): keep the status, invent nothing.
  }
  const errcode = typeof body.errcode === 'string' ? body.errcode : 'M_UNKNOWN';
  const error =
    typeof body.error === 'string' ? body.error : res.statusText || `HTTP ${res.status}`;
  const wait =
    res.status === 429
      ? retryAfterMs(body.retry_after_ms, res.header('retry-after') ?? null)
      : undefined;
  return new MatrixError(res.status, errcode, error, wait);
}
