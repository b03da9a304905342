/**
 * HTTP to the homeserver over kept-alive connections (node:http and node:https). Not `fetch`:
 * every relayed message is one request, and fetch's web streams and per-request AbortSignal
 * cost about four times the CPU per request here (bench/README.md), which capped IRC → Matrix.
 * Each request has one deadline for the whole exchange, body included.
 */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';

export interface TransportRequest {
  method: string;
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

export class Transport {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly request_: typeof http.request;

  constructor(
    baseUrl: string,
    private readonly timeoutMs: number,
  ) {
    this.base = new URL(baseUrl);
    const secure = this.base.protocol === 'https:';
    this.agent = secure
      ? new https.Agent({ keepAlive: true })
      : new http.Agent({ keepAlive: true });
    this.request_ = secure ? https.request : http.request;
  }

  send(req: TransportRequest): Promise<TransportReply> {
    const basePath = this.base.pathname.replace(/\/+$/, '');
    const headers = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    return new Promise((resolve, reject) => {
      const outgoing = this.request_({
        protocol: this.base.protocol,
        hostname: this.base.hostname,
        port: this.base.port,
        method: req.method,
        path: basePath + req.path,
        headers,
        agent: this.agent,
      });
      const deadline = { passed: undefined as TimeoutError | undefined };
      const timer = setTimeout(() => {
        deadline.passed = new TimeoutError(`no answer within ${this.timeoutMs} ms`);
        outgoing.destroy(deadline.passed);
      }, this.timeoutMs);
      timer.unref();
      outgoing.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      outgoing.once('response', (res) => {
        res.once('close', () => clearTimeout(timer));
        resolve(reply(res, deadline));
      });
      outgoing.end(req.body);
    });
  }

  /** Closes kept-alive connections (at shutdown). */
  close(): void {
    this.agent.destroy();
  }
}

/** `deadline.passed` is set when the request's time ran out (its body then fails with it). */
function reply(
  res: http.IncomingMessage,
  deadline: { passed: TimeoutError | undefined },
): TransportReply {
  const status = res.statusCode ?? 0;
  return {
    status,
    ok: status >= 200 && status < 300,
    statusText: res.statusMessage ?? '',
    header: (name) => {
      const value = res.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    body: res as Readable & AsyncIterable<Uint8Array>,
    text: () =>
      new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        const fail = (err: unknown) => reject(deadline.passed ?? err);
        res.once('error', fail);
        // A connection cut mid-body (or the deadline) ends it without 'end'.
        res.once('close', () => {
          if (!res.complete) fail(res.errored ?? new Error('the connection closed mid-answer'));
        });
      }),
    discard: () => {
      res.destroy();
    },
  };
}
