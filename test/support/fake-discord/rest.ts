/**
 * The fake's REST API (v10): `Authorization: Bot <token>` checked on every route but webhook
 * execution (which the webhook's token authorises), JSON bodies checked, rate-limit headers on
 * every answer and 429 with `retry_after` when a bucket is spent, Discord's error shape
 * (`{ code, message, errors? }`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  error,
  type Handler,
  type NoteEntry,
  type Route,
  type RouteHelpers,
} from './rest-shared.js';
import { channelRoutes } from './rest-channels.js';
import { guildRoutes } from './rest-guild.js';
import { webhookRoutes } from './rest-webhooks.js';
import type { FakeGuildState } from './state.js';

export interface RestCall {
  method: string;
  path: string;
  auth?: string;
  body?: unknown;
  /** `X-Audit-Log-Reason` (URI-decoded). */
  reason?: string;
  status: number;
  at: number;
}

interface Bucket {
  limit: number;
  windowMs: number;
  used: number;
  resetAt: number;
}

export interface RestHooks {
  dispatch(t: string, d: unknown): void;
  gatewayUrl(): string;
}

/** Discord's upload limit for a bot in a guild without boosts. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

export class FakeRest {
  readonly calls: RestCall[] = [];
  /** Per route bucket limits (`limit` requests per `windowMs`); routes not named here are unlimited. */
  readonly limits = new Map<string, { limit: number; windowMs: number }>([
    ['webhook', { limit: 5, windowMs: 2_000 }],
  ]);
  private readonly buckets = new Map<string, Bucket>();
  /** Forced answers for the next calls whose `METHOD path` matches, then normal service. */
  private readonly forced: { match: RegExp; status: number; body: unknown; retryAfter?: number }[] =
    [];
  readonly tooManyRequests: RestCall[] = [];
  /** What the bot and its webhooks did in each channel, oldest first (the conformance kit's view). */
  readonly received = new Map<string, NoteEntry[]>();
  /** Words AutoMod blocks (Discord answers 400, code 200000). */
  readonly blockedWords: string[] = [];

  private note(channelId: string, entry: NoteEntry): void {
    // A thread's events count as its parent channel's (the portal), naming the thread.
    const parent = this.state.channels.get(channelId)?.parentId;
    if (parent) {
      entry = { ...entry, thread: channelId };
      channelId = parent;
    }
    let list = this.received.get(channelId);
    if (!list) this.received.set(channelId, (list = []));
    list.push(entry);
  }

  private blocked(content: string): [number, unknown] | undefined {
    return this.blockedWords.some((w) => content.includes(w))
      ? error(400, 200000, 'Message was blocked by automatic moderation')
      : undefined;
  }

  constructor(
    private readonly state: FakeGuildState,
    private readonly token: string,
    private readonly hooks: RestHooks,
  ) {}

  /** The next call matching `match` (`POST /webhooks/…`) gets a 429 with this `retry_after` (s). */
  rateLimitNext(match: RegExp, retryAfter: number): void {
    this.forced.push({
      match,
      status: 429,
      body: {
        message: 'You are being rate limited.',
        retry_after: retryAfter,
        global: false,
        code: 0,
      },
      retryAfter,
    });
  }

  /** The next call matching `match` fails with Discord's error `code`/`message`. */
  failNext(match: RegExp, status: number, code: number, message: string): void {
    this.forced.push({ match, status, body: { code, message } });
  }

  async handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/^\/api\/v10/, '');
    const call: RestCall = {
      method: req.method ?? '',
      path,
      auth: req.headers.authorization,
      status: 0,
      at: Date.now(),
      ...(req.headers['x-audit-log-reason']
        ? { reason: decodeURIComponent(String(req.headers['x-audit-log-reason'])) }
        : {}),
    };
    this.calls.push(call);
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      res.writeHead(status, {
        ...headers,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (!url.pathname.startsWith('/api/v10/'))
      return answer(404, { code: 0, message: '404: Not Found' });
    const route = this.route(call.method, path);
    if (!route) return answer(404, { code: 0, message: '404: Not Found' });
    const [, bucketName, handler, m, needsBot] = route;
    if (needsBot && req.headers.authorization !== `Bot ${this.token}`)
      return answer(401, { code: 0, message: '401: Unauthorized' });
    let body: Record<string, unknown> = {};
    const type = String(req.headers['content-type'] ?? '');
    if (raw.length > MAX_REQUEST_BYTES)
      return answer(413, { code: 40005, message: 'Request entity too large' });
    if (raw.length && type.startsWith('multipart/form-data')) {
      // Files (`files[n]`) with the JSON body in `payload_json`, as Discord takes uploads.
      const form = await new Request('http://fake/', {
        method: 'POST',
        headers: { 'content-type': type },
        body: new Uint8Array(raw),
      }).formData();
      try {
        body = JSON.parse(String(form.get('payload_json') ?? '{}')) as Record<string, unknown>;
      } catch {
        return answer(400, { code: 50109, message: 'The request body contains invalid JSON.' });
      }
      const files: { filename: string; size: number; content_type: string }[] = [];
      for (const [key, value] of form.entries()) {
        if (!/^files\[\d+\]$/.test(key) || typeof value === 'string') continue;
        files.push({ filename: value.name, size: value.size, content_type: value.type });
      }
      body.__files = files;
      call.body = body;
    } else if (raw.length) {
      if (!type.startsWith('application/json'))
        return answer(400, { code: 50035, message: 'Invalid Form Body' });
      try {
        body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        return answer(400, { code: 50109, message: 'The request body contains invalid JSON.' });
      }
      call.body = body;
    }
    const forced = this.forced.findIndex((f) => f.match.test(`${call.method} ${path}`));
    if (forced >= 0) {
      const [f] = this.forced.splice(forced, 1);
      if (f!.status === 429) this.tooManyRequests.push(call);
      return answer(
        f!.status,
        f!.body,
        f!.retryAfter === undefined ? {} : this.limitedHeaders(bucketName, f!.retryAfter),
      );
    }
    // Discord's buckets are per route and major parameter (a channel, a webhook, a guild).
    const bucketKey = `${bucketName}:${m[1] ?? ''}`;
    const headers = this.spend(bucketName, bucketKey);
    if (!headers) {
      this.tooManyRequests.push(call);
      const b = this.buckets.get(bucketKey)!;
      const retryAfter = Math.max(0, b.resetAt - Date.now()) / 1000;
      return answer(
        429,
        { message: 'You are being rate limited.', retry_after: retryAfter, global: false, code: 0 },
        this.limitedHeaders(bucketName, retryAfter),
      );
    }
    const [status, out] = await handler(m, body, url.searchParams);
    answer(status, out, headers);
  }

  private limitedHeaders(bucket: string, retryAfter: number): Record<string, string> {
    return {
      'retry-after': String(Math.ceil(retryAfter)),
      'x-ratelimit-limit': String(this.limits.get(bucket)?.limit ?? 1),
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(Date.now() / 1000 + retryAfter),
      'x-ratelimit-reset-after': String(retryAfter),
      'x-ratelimit-bucket': bucket,
      'x-ratelimit-scope': 'user',
    };
  }

  /** Takes one request from the bucket: its headers, or undefined when it is spent. */
  private spend(name: string, key: string): Record<string, string> | undefined {
    const limit = this.limits.get(name) ?? { limit: 50, windowMs: 1_000 };
    const now = Date.now();
    let b = this.buckets.get(key);
    if (!b || now >= b.resetAt) {
      b = { ...limit, used: 0, resetAt: now + limit.windowMs };
      this.buckets.set(key, b);
    }
    if (b.used >= b.limit) return undefined;
    b.used++;
    const resetAfter = (b.resetAt - now) / 1000;
    return {
      'x-ratelimit-limit': String(b.limit),
      'x-ratelimit-remaining': String(b.limit - b.used),
      'x-ratelimit-reset': String(b.resetAt / 1000),
      'x-ratelimit-reset-after': String(resetAfter),
      'x-ratelimit-bucket': name,
    };
  }

  private route(
    method: string,
    path: string,
  ): [string, string, Handler, RegExpExecArray, boolean] | undefined {
    for (const [m, re, bucket, handler, needsBot] of this.routes()) {
      const match = method === m ? re.exec(path) : null;
      if (match) return [m, bucket, handler, match, needsBot];
    }
    return undefined;
  }

  private routes(): Route[] {
    const helpers = this.helpers();
    return [...channelRoutes(helpers), ...webhookRoutes(helpers), ...guildRoutes(helpers)];
  }

  private helpers(): RouteHelpers {
    const s = this.state;
    return {
      state: s,
      error,
      note: (channelId, entry) => this.note(channelId, entry),
      blocked: (content) => this.blocked(content),
      dispatch: (t, d) => this.hooks.dispatch(t, d),
      gatewayUrl: () => this.hooks.gatewayUrl(),
      deleteMessage: (channelId, id, webhookId) => this.deleteMessage(channelId, id, webhookId),
      apiWebhook: (w) => this.apiWebhook(w),
      channel: (id) => s.channels.get(id),
      unknownChannel: () => error(404, 10003, 'Unknown Channel'),
      unknownMessage: () => error(404, 10008, 'Unknown Message'),
      unknownWebhook: () => error(404, 10015, 'Unknown Webhook'),
      threadOr: (channelId, query) => {
        const thread = query.get('thread_id');
        if (!thread) return channelId;
        return s.channels.get(thread)?.parentId === channelId ? thread : undefined;
      },
      webhookOf: (id, token) => {
        const w = s.webhooks.get(id);
        return w && w.token === token ? w : undefined;
      },
    };
  }

  private deleteMessage(channelId: string, id: string, webhookId?: string): [number, unknown] {
    const list = this.state.messages.get(channelId) ?? [];
    const i = list.findIndex((x) => x.id === id && (!webhookId || x.webhook_id === webhookId));
    if (i < 0) return error(404, 10008, 'Unknown Message');
    list.splice(i, 1);
    this.note(channelId, { kind: 'delete', target: id });
    this.hooks.dispatch('MESSAGE_DELETE', {
      id,
      channel_id: channelId,
      guild_id: this.state.guildId,
    });
    return [204, undefined];
  }

  private apiWebhook(w: { id: string; token: string; channel_id: string; name: string }) {
    return {
      id: w.id,
      type: 1,
      guild_id: this.state.guildId,
      channel_id: w.channel_id,
      name: w.name,
      avatar: null,
      token: w.token,
      application_id: this.state.botUser.id,
      user: this.state.botUser,
    };
  }
}

/** A message body as Discord checks it: content a string up to 2,000 characters, something to send. */
