/**
 * An in-memory stand-in homeserver for unit tests and the benchmark: an HTTP server on 127.0.0.1
 * (random port) with the client-server endpoints the bridge uses, answering like Synapse as
 * measured (docs: /work/shared/peers/synapse-appservice.md), and able to push transactions to the
 * appservice. One appservice registration; normal local users exist only through the helpers.
 * Whatever it fakes is also tested against the real Synapse.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClientEvent } from '../../src/matrix/events.js';
import {
  routes,
  type Reply,
  type Route,
  type ServerState,
  type StoredMedia,
} from './fake-homeserver/routes.js';
import { HsError, World, type CreateRoomBody, type Profile } from './fake-homeserver/world.js';

export { HsError } from './fake-homeserver/world.js';

export interface FakeHomeserverOptions {
  serverName?: string;
  asToken?: string;
  hsToken?: string;
  appserviceId?: string;
  senderLocalpart?: string;
  /** The registration's exclusive user namespace, matched against full user ids. */
  userNamespace?: RegExp;
  /** Where transactions and pings go; may also be set later. */
  appserviceUrl?: string;
  /** Serve `/_matrix/client/v1/media/download` (current Synapse) or answer it 404 M_UNRECOGNIZED (1.94). */
  authenticatedMedia?: boolean;
  /** Keep a log of requests in `requests` (turn off for the benchmark). */
  recordRequests?: boolean;
}

/** An injected failure for the next matching request(s): an answer, or a dropped connection. */
export interface FailureRule {
  method?: string;
  /** Substring of, or pattern for, the request path as sent (still URL-encoded, no query). */
  path?: string | RegExp;
  times?: number;
  status?: number;
  /** JSON, or a string sent as text/html. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Destroy the socket without answering (a network error for the client). */
  drop?: boolean;
  /** Never answer (until close): the client's timeout fires. */
  hang?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** The raw query string, `?…` or empty. */
  query: string;
  /** The asserted `user_id`, if any. */
  userId?: string;
}

export interface PushOptions {
  ephemeral?: unknown[];
  toDevice?: unknown[];
  /** Which body keys carry EDUs: Synapse 1.94 sends the MSC2409 ones. */
  ephemeralKeys?: 'unstable' | 'stable' | 'both' | 'none';
  /** Override the counter (e.g. to replay one). */
  txnId?: string;
  /** Default: the hs_token. */
  token?: string;
}

const MAX_REQUEST_BYTES = 60 * 1024 * 1024;
type CompiledRoute = Route & { segments: string[] };
const compiled: CompiledRoute[] = routes.map((r) => ({ ...r, segments: r.pattern.split('/') }));

export class FakeHomeserver implements ServerState {
  readonly world: World;
  readonly serverName: string;
  readonly asToken: string;
  readonly hsToken: string;
  readonly appserviceId: string;
  readonly senderUserId: string;
  readonly userNamespace: RegExp;
  readonly authenticatedMedia: boolean;
  readonly media = new Map<string, StoredMedia>();
  readonly sendCache = new Map<string, { event_id: string }>();
  readonly requests: RecordedRequest[] = [];
  appserviceUrl: string | undefined;
  url = '';
  private nextTxnId = 1;
  private readonly failures: (FailureRule & { left: number })[] = [];
  private readonly server: Server;

  private constructor(private readonly opts: FakeHomeserverOptions) {
    this.serverName = opts.serverName ?? 'localhost';
    this.asToken = opts.asToken ?? 'as_token_for_tests';
    this.hsToken = opts.hsToken ?? 'hs_token_for_tests';
    this.appserviceId = opts.appserviceId ?? 'switchboard';
    this.senderUserId = `@${opts.senderLocalpart ?? 'bridgebot'}:${this.serverName}`;
    this.userNamespace =
      opts.userNamespace ?? new RegExp(`^@test_.*:${this.serverName.replace(/\./g, '\\.')}$`);
    this.authenticatedMedia = opts.authenticatedMedia ?? true;
    this.appserviceUrl = opts.appserviceUrl;
    this.world = new World(this.serverName);
    this.world.users.set(this.senderUserId, {});
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  static async start(opts: FakeHomeserverOptions = {}): Promise<FakeHomeserver> {
    const hs = new FakeHomeserver(opts);
    hs.server.listen(0, '127.0.0.1');
    await once(hs.server, 'listening');
    hs.url = `http://127.0.0.1:${(hs.server.address() as AddressInfo).port}`;
    return hs;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ------------------------------------------------------------ test controls and accessors

  failNext(rule: FailureRule): void {
    this.failures.push({ ...rule, left: rule.times ?? 1 });
  }

  mayRegister(userId: string): boolean {
    return userId === this.senderUserId || this.userNamespace.test(userId);
  }

  events(roomId: string): ClientEvent[] {
    return [...(this.world.room(roomId)?.timeline ?? [])];
  }

  waitForEvent(match: (e: ClientEvent) => boolean, timeoutMs = 5_000): Promise<ClientEvent> {
    return this.world.waitFor(match, timeoutMs);
  }

  membership(roomId: string, userId: string): string | undefined {
    return this.world.room(roomId)?.members.get(userId);
  }

  joinedMembers(roomId: string): string[] {
    return [...(this.world.room(roomId)?.members ?? [])]
      .filter(([, m]) => m === 'join')
      .map(([u]) => u);
  }

  state(roomId: string, type: string, stateKey = ''): Record<string, unknown> | undefined {
    return this.world.room(roomId)?.state.get(`${type}\u0000${stateKey}`)?.content;
  }

  isRegistered(userId: string): boolean {
    return this.world.users.has(userId);
  }

  profile(userId: string): Profile | undefined {
    return this.world.users.get(userId);
  }

  typing(roomId: string): string[] {
    return [...(this.world.room(roomId)?.typing ?? [])];
  }

  receipts(roomId: string): Map<string, string> {
    return new Map(this.world.room(roomId)?.receipts);
  }

  countRequests(method: string, path: RegExp): number {
    return this.requests.filter((r) => r.method === method && path.test(r.path)).length;
  }

  /** A normal local user (outside the appservice's namespace). */
  addUser(userId: string, profile: Profile = {}): void {
    this.world.users.set(userId, profile);
  }

  createRoom(creator: string, body: CreateRoomBody = {}): string {
    return this.world.createRoom(creator, body);
  }

  join(roomIdOrAlias: string, userId: string): string {
    return this.world.join(roomIdOrAlias, userId);
  }

  invite(roomId: string, inviter: string, target: string): void {
    this.world.invite(roomId, inviter, target);
  }

  send(
    roomId: string,
    sender: string,
    content: Record<string, unknown>,
    type = 'm.room.message',
  ): ClientEvent {
    return this.world.send(roomId, sender, type, content);
  }

  // ------------------------------------------------------------ homeserver → appservice

  /** Restarts the transaction counter, as Synapse on SQLite does after a restart. */
  resetTxnCounter(next = 1): void {
    this.nextTxnId = next;
  }

  async pushTransaction(
    events: unknown[],
    opts: PushOptions = {},
  ): Promise<{ txnId: string; status: number; body: unknown }> {
    if (!this.appserviceUrl) throw new Error('appserviceUrl is not set');
    const txnId = opts.txnId ?? String(this.nextTxnId++);
    const body: Record<string, unknown> = { events };
    const keys = opts.ephemeralKeys ?? 'unstable';
    if (keys === 'unstable' || keys === 'both') {
      body['de.sorunome.msc2409.ephemeral'] = opts.ephemeral ?? [];
      body['de.sorunome.msc2409.to_device'] = opts.toDevice ?? [];
    }
    if (keys === 'stable' || keys === 'both') {
      body.ephemeral = opts.ephemeral ?? [];
      body.to_device = opts.toDevice ?? [];
    }
    const res = await fetch(
      `${this.appserviceUrl}/_matrix/app/v1/transactions/${encodeURIComponent(txnId)}`,
      {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${opts.token ?? this.hsToken}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      },
    );
    const text = await res.text();
    return { txnId, status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  }

  async pingAppservice(appserviceId: string, transactionId: unknown): Promise<Reply> {
    if (appserviceId !== this.appserviceId)
      throw new HsError(403, 'M_FORBIDDEN', 'Mismatching application service ID in path');
    if (!this.appserviceUrl) throw new HsError(502, 'M_CONNECTION_FAILED', 'Connection refused');
    const started = performance.now();
    let res: Response;
    try {
      res = await fetch(`${this.appserviceUrl}/_matrix/app/v1/ping`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.hsToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(transactionId === undefined ? {} : { transaction_id: transactionId }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      if ((err as Error).name === 'TimeoutError')
        throw new HsError(504, 'M_CONNECTION_TIMEOUT', 'Timeout');
      throw new HsError(502, 'M_CONNECTION_FAILED', 'Connection failed');
    }
    const text = await res.text();
    if (!res.ok)
      throw new HsError(502, 'M_BAD_STATUS', 'Ping returned error status', {
        status: res.status,
        body: text,
      });
    return { body: { duration_ms: Math.round(performance.now() - started) } };
  }

  // ------------------------------------------------------------ plumbing

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const raw = await readBody(req, res);
    if (!raw) return;
    if (this.opts.recordRequests !== false)
      this.requests.push({
        method,
        path: url.pathname,
        query: url.search,
        userId: url.searchParams.get('user_id') ?? undefined,
      });
    const failure = this.takeFailure(method, url.pathname);
    if (failure?.drop) return void req.socket.destroy();
    if (failure?.hang) return;
    if (failure)
      return answer(
        res,
        failure.status ?? 500,
        failure.body ?? { errcode: 'M_UNKNOWN', error: 'Injected failure' },
        failure.headers,
      );
    try {
      const [route, params] = this.match(method, url.pathname);
      const user =
        route.auth === 'none'
          ? this.senderUserId
          : this.authenticate(req, url.searchParams, route.auth === 'user');
      let body: Record<string, unknown> = {};
      if (!route.rawBody && raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
        } catch {
          throw new HsError(400, 'M_NOT_JSON', 'Content not JSON.');
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body))
          throw new HsError(400, 'M_BAD_JSON', 'Content must be a JSON object.');
      }
      const ctx = {
        state: this,
        params,
        query: url.searchParams,
        body,
        raw,
        user,
        path: url.pathname,
        contentType: req.headers['content-type'],
      };
      const reply = await route.handler(ctx);
      if (reply.media) return sendMedia(res, reply.media);
      answer(res, reply.status ?? 200, reply.body ?? {});
    } catch (err) {
      if (err instanceof HsError)
        return answer(res, err.status, { errcode: err.errcode, error: err.error, ...err.extra });
      console.error('fake homeserver: internal error', err);
      answer(res, 500, { errcode: 'M_UNKNOWN', error: 'Internal server error' });
    }
  }

  private takeFailure(method: string, path: string): FailureRule | undefined {
    const index = this.failures.findIndex(
      (f) =>
        (!f.method || f.method === method) &&
        (!f.path || (typeof f.path === 'string' ? path.includes(f.path) : f.path.test(path))),
    );
    if (index < 0) return undefined;
    const rule = this.failures[index]!;
    if (--rule.left <= 0) this.failures.splice(index, 1);
    return rule;
  }

  private match(method: string, pathname: string): [CompiledRoute, Record<string, string>] {
    const segments = pathname.split('/');
    let pathKnown = false;
    for (const route of compiled) {
      if (route.segments.length !== segments.length) continue;
      const params: Record<string, string> = {};
      const fits = route.segments.every((s, i) => {
        if (s.startsWith(':')) return ((params[s.slice(1)] = decode(segments[i]!)), true);
        return s === segments[i];
      });
      if (!fits) continue;
      if (route.method === method) return [route, params];
      pathKnown = true;
    }
    throw pathKnown
      ? new HsError(405, 'M_UNRECOGNIZED', 'Unrecognized request')
      : new HsError(404, 'M_UNRECOGNIZED', 'Unrecognized request');
  }

  /** The as_token (header or legacy query), then identity assertion with `?user_id=`. */
  private authenticate(req: IncomingMessage, query: URLSearchParams, assert: boolean): string {
    const header = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const token = header ?? query.get('access_token');
    if (!token) throw new HsError(401, 'M_MISSING_TOKEN', 'Missing access token.');
    if (token !== this.asToken)
      throw new HsError(401, 'M_UNKNOWN_TOKEN', 'Unrecognised access token', {
        soft_logout: false,
      });
    const asserted = assert ? query.get('user_id') : null;
    if (asserted === null) return this.senderUserId;
    if (!this.mayRegister(asserted))
      throw new HsError(
        403,
        'M_FORBIDDEN',
        `Application service cannot masquerade as this user (${asserted}).`,
      );
    if (!this.world.users.has(asserted))
      throw new HsError(
        403,
        'M_FORBIDDEN',
        `Application service has not registered this user (${asserted})`,
      );
    return asserted;
  }
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HsError(400, 'M_INVALID_PARAM', 'Bad path encoding');
  }
}

async function readBody(req: IncomingMessage, res: ServerResponse): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) {
      answer(
        res,
        413,
        { errcode: 'M_TOO_LARGE', error: 'Request too large' },
        { connection: 'close' },
      );
      return undefined;
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** A string body goes out as it is (a proxy's HTML error page); anything else as JSON. */
function answer(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const type = typeof body === 'string' ? 'text/html' : 'application/json';
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendMedia(res: ServerResponse, media: StoredMedia): void {
  const disposition = media.filename
    ? `inline; filename=${encodeURIComponent(media.filename)}`
    : 'inline';
  res.writeHead(200, {
    'content-type': media.contentType,
    'content-length': media.data.length,
    'content-disposition': disposition,
  });
  res.end(media.data);
}
