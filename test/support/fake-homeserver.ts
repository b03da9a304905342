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
import { FailureInjector, type FailureRule } from './fake-homeserver/failures.js';
import {
  pingAppservice,
  pushTransaction,
  type PushOptions,
} from './fake-homeserver/appservice-link.js';
import {
  answer,
  matchRoute,
  parseJsonObject,
  readBody,
  sendMedia,
} from './fake-homeserver/http.js';
import {
  HsError,
  type CreateRoomBody,
  type Profile,
  type Reply,
  type ServerState,
  type StoredMedia,
} from './fake-homeserver/types.js';
import { AppserviceStream } from './fake-homeserver/appservice-stream.js';
import type { FakeHomeserverOptions, RecordedRequest } from './fake-homeserver/options.js';
import { World } from './fake-homeserver/world.js';

export { HsError } from './fake-homeserver/types.js';
export type { FailureRule } from './fake-homeserver/failures.js';
export type { FakeHomeserverOptions, RecordedRequest } from './fake-homeserver/options.js';
export type { PushOptions } from './fake-homeserver/appservice-link.js';

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
  private readonly failures = new FailureInjector();
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
    if (opts.stream) {
      const stream = (this.stream = new AppserviceStream(
        opts.stream,
        () => String(this.nextTxnId++),
        (txnId, events) => pushTransaction(this, txnId, events, {}),
      ));
      const own = (userId: string) =>
        userId === this.senderUserId || this.userNamespace.test(userId);
      this.world.appended.push((room, event) => {
        if (stream.mode === 'others' && own(event.sender)) return;
        // Interested: one of the appservice's users is in the room (after this event).
        for (const [userId, membership] of room.members)
          if (membership === 'join' && own(userId)) return stream.enqueue(event);
      });
    }
  }

  /** Set with the `stream` option: the events sent to the appservice as Synapse sends them. */
  stream?: AppserviceStream;

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
    this.failures.add(rule);
  }

  /** The sender and the user namespace; the same rule decides identity assertion. */
  mayRegister(userId: string): boolean {
    return userId === this.senderUserId || this.userNamespace.test(userId);
  }

  events(roomId: string): ClientEvent[] {
    return [...(this.world.room(roomId)?.timeline ?? [])];
  }

  /** Resolves with the first event, past or future, that matches. */
  waitForEvent(match: (e: ClientEvent) => boolean, timeoutMs = 5_000): Promise<ClientEvent> {
    return this.world.waitFor(match, timeoutMs);
  }

  membership(roomId: string, userId: string): string | undefined {
    return this.world.room(roomId)?.members.get(userId);
  }

  joinedMembers(roomId: string): string[] {
    const members = [...(this.world.room(roomId)?.members ?? [])];
    return members.filter(([, m]) => m === 'join').map(([u]) => u);
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

  leave(roomId: string, userId: string): void {
    this.world.leave(roomId, userId);
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
    const txnId = opts.txnId ?? String(this.nextTxnId++);
    return { txnId, ...(await pushTransaction(this, txnId, events, opts)) };
  }

  pingAppservice(appserviceId: string, transactionId: unknown): Promise<Reply> {
    if (appserviceId !== this.appserviceId)
      throw new HsError(403, 'M_FORBIDDEN', 'Mismatching application service ID in path');
    return pingAppservice(this, transactionId);
  }

  // ------------------------------------------------------------ plumbing

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const raw = await readBody(req, res);
    if (!raw) return;
    if (this.opts.recordRequests !== false) {
      this.requests.push({
        method,
        path: url.pathname,
        query: url.search,
        userId: url.searchParams.get('user_id') ?? undefined,
      });
    }
    const failure = this.failures.take(method, url.pathname);
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
      const [route, params] = matchRoute(method, url.pathname);
      const user =
        route.auth === 'none'
          ? this.senderUserId
          : this.authenticate(req, url.searchParams, route.auth === 'user');
      const body = route.rawBody ? {} : parseJsonObject(raw);
      const contentType = req.headers['content-type'];
      const reply = await route.handler({
        state: this,
        params,
        query: url.searchParams,
        body,
        raw,
        user,
        path: url.pathname,
        contentType,
      });
      if (reply.media) return sendMedia(res, reply.media);
      answer(res, reply.status ?? 200, reply.body ?? {});
    } catch (err) {
      if (err instanceof HsError)
        return answer(res, err.status, { errcode: err.errcode, error: err.error, ...err.extra });
      console.error('fake homeserver: internal error', err);
      answer(res, 500, { errcode: 'M_UNKNOWN', error: 'Internal server error' });
    }
  }

  /** The as_token (header or legacy query), then identity assertion with `?user_id=`. */
  private authenticate(req: IncomingMessage, query: URLSearchParams, assert: boolean): string {
    const token =
      /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? query.get('access_token');
    if (!token) throw new HsError(401, 'M_MISSING_TOKEN', 'Missing access token.');
    if (token !== this.asToken)
      throw new HsError(401, 'M_UNKNOWN_TOKEN', 'Unrecognised access token', {
        soft_logout: false,
      });
    const asserted = assert ? query.get('user_id') : null;
    if (asserted === null) return this.senderUserId;
    if (!this.mayRegister(asserted)) {
      throw new HsError(
        403,
        'M_FORBIDDEN',
        `Application service cannot masquerade as this user (${asserted}).`,
      );
    }
    if (!this.world.users.has(asserted)) {
      throw new HsError(
        403,
        'M_FORBIDDEN',
        `Application service has not registered this user (${asserted})`,
      );
    }
    return asserted;
  }
}
