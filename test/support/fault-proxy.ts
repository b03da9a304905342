// A small fault-injecting HTTP reverse proxy for tests: put it between the bridge and Synapse
// (give the bridge `proxy.url` as the homeserver URL) and switch faults on and off:
//
//   const proxy = await startFaultProxy({ target: env.hsUrl });
//   await proxy.setFault({ kind: 'rateLimit', retryAfterMs: 200, times: 2, path: /\/send\// });
//   ... the bridge's next two /send requests get 429, then requests pass again ...
//   await proxy.clear();
//   await proxy.close();
//
// Requests without a matching fault are forwarded unchanged (method, path, headers, bodies
// streamed both ways). Faults:
//   rateLimit  429 M_LIMIT_EXCEEDED, `retry_after_ms` in the body and/or a `Retry-After` header
//   status     any status (5xx, or a 4xx) with a Matrix error body; {status: 503} = an all-503 outage
//   latency    forwarded after `ms` extra milliseconds
//   refused    the listening socket is closed (and open connections destroyed): connection refused
//              until clear(); ignores `times` and `path`
//   reset      the connection is destroyed as soon as the request arrives, without an answer;
//              the request never reaches the target
//   drop       forwarded, and the target handles it, but the connection is destroyed before the
//              answer reaches the client (the "did my request happen?" case)
//   hang       never answered; the request stays open until the client gives up or close()
// Each fault can be limited to the next `times` matching requests and to requests whose path
// (with query) matches `path` (and `method`). With several faults (addFault) the first match wins.
//
// Note: HTTP clients may retry a request on their own after a reset of a reused keep-alive
// connection; such a retry counts as one more request.
import http, {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FaultScope {
  /** Apply to the next N matching requests only (default: until cleared). */
  times?: number;
  /** Apply only to requests whose path (with query string) matches. */
  path?: RegExp;
  /** Apply only to this HTTP method (case-insensitive). */
  method?: string;
}

export type Fault = FaultScope &
  (
    | {
        kind: 'rateLimit';
        /** `retry_after_ms` in the JSON body (omitted when undefined). */
        retryAfterMs?: number;
        /** A `Retry-After` header: seconds, or an HTTP date (omitted when undefined). */
        retryAfterHeader?: number | string;
      }
    | {
        kind: 'status';
        status: number;
        /** Response body; an object is sent as JSON. Default: a Matrix M_UNKNOWN error. */
        body?: string | object;
        headers?: Record<string, string>;
      }
    | { kind: 'latency'; ms: number }
    | { kind: 'refused' }
    | { kind: 'reset' }
    | { kind: 'drop' }
    | { kind: 'hang' }
  );

export type FaultKind = Fault['kind'];

export interface ProxiedRequest {
  method: string;
  /** Path with query string, as received. */
  path: string;
  /** The fault applied to this request, if any. */
  fault?: FaultKind;
  /** Status sent to the client (undefined: no answer, or not yet). */
  status?: number;
  /** Date.now() when the request arrived. */
  at: number;
}

export interface FaultProxy {
  /** http://127.0.0.1:<port>; stays the same across `refused` faults. */
  url: string;
  port: number;
  /** Replace all faults with this one. */
  setFault(fault: Fault): Promise<void>;
  /** Add a fault after the existing ones. */
  addFault(fault: Fault): Promise<void>;
  /** Remove all faults (and listen again after `refused`). Hung requests stay hung. */
  clear(): Promise<void>;
  /** Stop listening and destroy every connection. */
  close(): Promise<void>;
  /** Requests received so far (copies), oldest first. */
  requests(): ProxiedRequest[];
  /** Forget the recorded requests. */
  resetRequests(): void;
}

export interface FaultProxyOptions {
  /** Where requests go, e.g. http://127.0.0.1:18008 */
  target: string;
  /** Port to listen on (default: a free one). */
  port?: number;
  host?: string;
}

interface Rule {
  fault: Fault;
  remaining: number;
}

// Hop-by-hop headers are the proxy's own business on each side (RFC 9110 §7.6.1).
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
]);

function endToEndHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: string | object,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  if (target.protocol !== 'http:')
    throw new Error(`fault proxy: only http targets (${options.target})`);
  const host = options.host ?? '127.0.0.1';
  // A new upstream connection per request: a reused one the target is closing would fail the
  // request with a 502 that no test asked for.
  const agent = new http.Agent({ keepAlive: false });
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const log: ProxiedRequest[] = [];
  let rules: Rule[] = [];
  let refused = false;
  let closed = false;

  const server = http.createServer((req, res) => handle(req, res));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function take(req: IncomingMessage): Fault | undefined {
    const path = req.url ?? '/';
    const method = (req.method ?? 'GET').toUpperCase();
    const rule = rules.find(
      (r) =>
        r.remaining > 0 &&
        (!r.fault.method || r.fault.method.toUpperCase() === method) &&
        (!r.fault.path ||
          new RegExp(r.fault.path.source, r.fault.path.flags.replace(/[gy]/g, '')).test(path)),
    );
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) rules = rules.filter((r) => r !== rule);
    return rule.fault;
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const record: ProxiedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      at: Date.now(),
    };
    log.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
    });
    const fault = take(req);
    if (fault) record.fault = fault.kind;
    switch (fault?.kind) {
      case undefined:
        return forward(req, res);
      case 'rateLimit': {
        req.resume();
        const body: Record<string, unknown> = {
          errcode: 'M_LIMIT_EXCEEDED',
          error: 'Too Many Requests',
        };
        if (fault.retryAfterMs !== undefined) body.retry_after_ms = fault.retryAfterMs;
        const headers: Record<string, string> = {};
        if (fault.retryAfterHeader !== undefined)
          headers['retry-after'] = String(fault.retryAfterHeader);
        return sendJson(res, 429, body, headers);
      }
      case 'status':
        req.resume();
        return sendJson(
          res,
          fault.status,
          fault.body ?? {
            errcode: 'M_UNKNOWN',
            error: `Injected ${fault.status} by the fault proxy`,
          },
          fault.headers,
        );
      case 'latency': {
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!res.destroyed) forward(req, res);
        }, fault.ms);
        timers.add(timer);
        return;
      }
      case 'reset':
      case 'refused': // never stored as a rule (it closes the listener instead)
        req.socket.destroy();
        return;
      case 'drop':
        return forward(req, res, true);
      case 'hang':
        req.resume();
        return;
    }
  }

  function forward(req: IncomingMessage, res: ServerResponse, drop = false): void {
    const headers = endToEndHeaders(req.headers);
    headers.host = target.host;
    const upstream = http.request(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port || 80,
        method: req.method,
        path: req.url,
        headers,
        agent,
      },
      (upRes) => {
        if (drop) {
          // The target has answered: the request happened. The client never learns it.
          upRes.resume();
          req.socket.destroy();
          return;
        }
        res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, endToEndHeaders(upRes.headers));
        upRes.pipe(res);
        upRes.on('error', () => res.destroy());
      },
    );
    upstream.on('error', (err) => {
      if (drop || res.headersSent) {
        res.destroy();
        return;
      }
      sendJson(res, 502, {
        errcode: 'M_UNKNOWN',
        error: `fault proxy: target ${target.host} failed: ${err.message}`,
      });
    });
    // The client went away before the answer was complete: abandon the upstream request too.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  function listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  function stopListening(): Promise<void> {
    return new Promise((resolve) => {
      if (!server.listening) {
        for (const socket of sockets) socket.destroy();
        resolve();
        return;
      }
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  }

  await listen(options.port ?? 0);
  const port = (server.address() as AddressInfo).port;

  async function applyListening(): Promise<void> {
    if (closed) return;
    if (refused && server.listening) await stopListening();
    else if (!refused && !server.listening) await listen(port);
  }

  async function addFault(fault: Fault): Promise<void> {
    if (fault.kind === 'refused') {
      refused = true;
    } else {
      const times = fault.times ?? Infinity;
      if (!(times > 0)) throw new Error(`fault proxy: times must be > 0 (got ${fault.times})`);
      rules.push({ fault, remaining: times });
    }
    await applyListening();
  }

  return {
    url: `http://${host}:${port}`,
    port,
    addFault,
    async setFault(fault) {
      rules = [];
      refused = false;
      await addFault(fault);
    },
    async clear() {
      rules = [];
      refused = false;
      await applyListening();
    },
    async close() {
      if (closed) return;
      closed = true;
      rules = [];
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await stopListening();
      agent.destroy();
    },
    requests() {
      return log.map((r) => ({ ...r }));
    },
    resetRequests() {
      log.length = 0;
    },
  };
}
