/**
 * HTTP to the homeserver over kept-alive connections, through undici's connection pool. Every
 * relayed message is one request, so the client's cost per request sets the bridge's pace: not
 * `fetch` (its web streams and per-request AbortSignal cost about four times the CPU of node:http
 * here) and not node:http either (undici's request costs about half of node:http's; see
 * bench/README.md). Each request has one deadline for the whole exchange, body included.
 */
import { EventEmitter } from 'node:events';
import { STATUS_CODES } from 'node:http';
import { Pool, type Dispatcher } from 'undici';

export interface TransportRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Path and query, appended to the base URL. */
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

/** An answer whose body has not been read yet: read it with `text()` or `body`, or `discard()` it. */
export interface TransportReply {
  status: number;
  ok: boolean;
  statusText: string;
  header(name: string): string | undefined;
  /** The body as it arrives (the deadline still runs). */
  body: AsyncIterable<Uint8Array>;
  text(): Promise<string>;
  /** Drops the body unread, closing its connection (it may be large). */
  discard(): void;
}

/** The request took longer than its deadline (the name matches fetch's, which callers know). */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** `passed` is set when the request's time ran out (its body then fails with it). */
interface Deadline {
  passed: TimeoutError | undefined;
}

export class Transport {
  private readonly pool: Pool;
  private readonly basePath: string;

  constructor(
    baseUrl: string,
    private readonly timeoutMs: number,
  ) {
    const base = new URL(baseUrl);
    this.basePath = base.pathname.replace(/\/+$/, '');
    // The deadline below covers each whole exchange; undici's own idle timeouts are off. A TLS
    // handshake that hangs is not cut short by an abort, so connecting has the deadline too.
    this.pool = new Pool(base.origin, {
      headersTimeout: 0,
      bodyTimeout: 0,
      connectTimeout: timeoutMs,
    });
  }

  /**
   * `buffered`: the whole body is read before the reply resolves (a JSON answer). That goes
   * through undici's dispatcher without a body stream: about a fifth less CPU per request.
   */
  async send(req: TransportRequest, buffered = false): Promise<TransportReply> {
    if (buffered) return this.sendBuffered(req);
    // undici takes an EventEmitter as its abort signal: cheaper than an AbortController each time.
    const abort = new EventEmitter();
    const deadline: Deadline = { passed: undefined };
    const timer = setTimeout(() => {
      deadline.passed = new TimeoutError(`no answer within ${this.timeoutMs} ms`);
      abort.emit('abort');
    }, this.timeoutMs);
    timer.unref();
    let res: Dispatcher.ResponseData;
    try {
      res = await this.pool.request({
        method: req.method,
        path: this.basePath + req.path,
        headers: req.headers,
        body: req.body ?? null,
        signal: abort,
      });
    } catch (err) {
      clearTimeout(timer);
      if ((err as { code?: unknown }).code === 'UND_ERR_CONNECT_TIMEOUT')
        throw new TimeoutError(`no connection within ${this.timeoutMs} ms`, { cause: err });
      throw deadline.passed ?? err;
    }
    res.body.once('close', () => clearTimeout(timer));
    return reply(res, deadline);
  }

  private sendBuffered(req: TransportRequest): Promise<TransportReply> {
    return new Promise((resolve, reject) => {
      let abort: ((err: Error) => void) | undefined;
      let timedOut: TimeoutError | undefined;
      const timer = setTimeout(() => {
        timedOut = new TimeoutError(`no answer within ${this.timeoutMs} ms`);
        abort?.(timedOut);
      }, this.timeoutMs);
      timer.unref();
      let status = 0;
      let rawHeaders: Buffer[] = [];
      const chunks: Buffer[] = [];
      this.pool.dispatch(
        {
          method: req.method,
          path: this.basePath + req.path,
          headers: req.headers,
          body: req.body ?? null,
        },
        {
          onConnect: (abortRequest) => {
            abort = abortRequest;
            if (timedOut) abortRequest(timedOut);
          },
          onHeaders: (statusCode, headers) => {
            status = statusCode;
            rawHeaders = headers;
            return true;
          },
          onData: (chunk) => {
            chunks.push(chunk);
            return true;
          },
          onComplete: () => {
            clearTimeout(timer);
            const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
            resolve(bufferedReply(status, rawHeaders, body));
          },
          onError: (err) => {
            clearTimeout(timer);
            if ((err as { code?: unknown }).code === 'UND_ERR_CONNECT_TIMEOUT')
              reject(new TimeoutError(`no connection within ${this.timeoutMs} ms`, { cause: err }));
            else reject(timedOut ?? err);
          },
        },
      );
    });
  }

  /** Closes kept-alive connections (at shutdown). */
  close(): void {
    void this.pool.destroy().catch(() => undefined);
  }
}

function reply(res: Dispatcher.ResponseData, deadline: Deadline): TransportReply {
  const status = res.statusCode;
  return {
    status,
    ok: status >= 200 && status < 300,
    statusText: STATUS_CODES[status] ?? '',
    header: (name) => {
      const value = res.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    body: res.body,
    text: async () => {
      try {
        return await res.body.text();
      } catch (err) {
        throw deadline.passed ?? err;
      }
    },
    discard: () => {
      res.body.on('error', () => undefined); // undici reports its own abort as an error
      res.body.destroy();
    },
  };
}

function bufferedReply(status: number, rawHeaders: Buffer[], body: Buffer): TransportReply {
  return {
    status,
    ok: status >= 200 && status < 300,
    statusText: STATUS_CODES[status] ?? '',
    header: (name) => {
      const wanted = name.toLowerCase();
      const values: string[] = [];
      for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
        if (rawHeaders[i]!.toString('latin1').toLowerCase() === wanted)
          values.push(rawHeaders[i + 1]!.toString('latin1'));
      }
      return values.length > 0 ? values.join(', ') : undefined;
    },
    body: {
      async *[Symbol.asyncIterator]() {
        yield body;
      },
    },
    text: () => Promise.resolve(body.toString('utf8')),
    discard: () => undefined,
  };
}
