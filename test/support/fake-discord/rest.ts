/**
 * The fake's REST API (v10): `Authorization: Bot <token>` checked on every route but webhook
 * execution (which the webhook's token authorises), JSON bodies checked, rate-limit headers on
 * every answer and 429 with `retry_after` when a bucket is spent, Discord's error shape
 * (`{ code, message, errors? }`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { APIMessage } from 'discord-api-types/v10';
import { snowflake } from './snowflake.js';
import type { AllowedMentions, FakeGuildState } from './state.js';

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

type Handler = (
  m: RegExpExecArray,
  body: Record<string, unknown>,
  query: URLSearchParams,
) => [number, unknown] | Promise<[number, unknown]>;

export interface RestHooks {
  dispatch(t: string, d: unknown): void;
  gatewayUrl(): string;
}

const MAX_CONTENT = 2000;
/** Discord's upload limit for a bot in a guild without boosts. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
const error = (
  status: number,
  code: number,
  message: string,
  errors?: unknown,
): [number, unknown] => [status, { code, message, ...(errors ? { errors } : {}) }];

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
  readonly received = new Map<
    string,
    {
      kind: 'message' | 'edit' | 'delete' | 'reaction';
      id?: string;
      text?: string;
      target?: string;
      thread?: string;
      avatar?: string;
    }[]
  >();
  /** Words AutoMod blocks (Discord answers 400, code 200000). */
  readonly blockedWords: string[] = [];

  private note(
    channelId: string,
    entry: {
      thread?: string;
      kind: 'message' | 'edit' | 'delete' | 'reaction';
      id?: string;
      text?: string;
      target?: string;
      avatar?: string;
    },
  ): void {
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

  private routes(): [string, RegExp, string, Handler, boolean][] {
    const s = this.state;
    const channel = (id: string) => s.channels.get(id);
    const unknownChannel = () => error(404, 10003, 'Unknown Channel');
    const unknownMessage = () => error(404, 10008, 'Unknown Message');
    const unknownWebhook = () => error(404, 10015, 'Unknown Webhook');
    /** Where a webhook call goes: `?thread_id=` names a thread of the webhook's channel. */
    const threadOr = (channelId: string, query: URLSearchParams): string | undefined => {
      const thread = query.get('thread_id');
      if (!thread) return channelId;
      return s.channels.get(thread)?.parentId === channelId ? thread : undefined;
    };
    const webhookOf = (id: string, token: string) => {
      const w = s.webhooks.get(id);
      return w && w.token === token ? w : undefined;
    };
    return [
      [
        'GET',
        /^\/gateway\/bot$/,
        'gateway',
        () => [
          200,
          {
            url: this.hooks.gatewayUrl(),
            shards: 1,
            session_start_limit: {
              total: 1000,
              remaining: 1000,
              reset_after: 0,
              max_concurrency: 1,
            },
          },
        ],
        true,
      ],
      [
        'GET',
        /^\/channels\/(\d+)\/webhooks$/,
        'webhooks',
        (m) =>
          channel(m[1]!)
            ? [
                200,
                [...s.webhooks.values()]
                  .filter((w) => w.channel_id === m[1])
                  .map((w) => this.apiWebhook(w)),
              ]
            : unknownChannel(),
        true,
      ],
      [
        'POST',
        /^\/channels\/(\d+)\/webhooks$/,
        'webhooks',
        (m, body) => {
          if (!channel(m[1]!)) return unknownChannel();
          const name = body.name;
          if (
            typeof name !== 'string' ||
            name.length < 1 ||
            name.length > 80 ||
            /clyde|discord/i.test(name)
          )
            return error(400, 50035, 'Invalid Form Body', {
              name: { _errors: [{ code: 'BASE_TYPE_BAD_WEBHOOK_NAME' }] },
            });
          const w = {
            id: snowflake(),
            token: randomBytes(24).toString('base64url'),
            channel_id: m[1]!,
            name,
          };
          s.webhooks.set(w.id, w);
          return [200, this.apiWebhook(w)];
        },
        true,
      ],
      [
        'POST',
        /^\/webhooks\/(\d+)\/([\w-]+)$/,
        'webhook',
        (m, body, query) => {
          const w = webhookOf(m[1]!, m[2]!);
          if (!w) return unknownWebhook();
          const where = threadOr(w.channel_id, query);
          if (!where) return unknownChannel();
          const bad = checkMessageBody(body);
          if (bad) return bad;
          const username = typeof body.username === 'string' ? body.username : w.name;
          if (body.avatar_url !== undefined && !isHttpUrl(body.avatar_url))
            return error(400, 50035, 'Invalid Form Body', {
              avatar_url: {
                _errors: [{ code: 'URL_TYPE_INVALID_URL', message: 'Not a well formed URL.' }],
              },
            });
          if (username.length > 80 || /clyde|discord/i.test(username))
            return error(400, 50035, 'Invalid Form Body', {
              username: { _errors: [{ code: 'USERNAME_INVALID' }] },
            });
          const blocked = this.blocked(String(body.content ?? ''));
          if (blocked) return blocked;
          const msg = s.message(
            where,
            {
              id: w.id,
              username,
              discriminator: '0000',
              global_name: null,
              avatar: null,
              bot: true,
            },
            String(body.content ?? ''),
            {
              webhook_id: w.id,
              allowed: body.allowed_mentions as AllowedMentions | undefined,
            },
          );
          const files = (body.__files ?? []) as {
            filename: string;
            size: number;
            content_type: string;
          }[];
          msg.attachments = files.map((f) => {
            const id = snowflake();
            return {
              id,
              filename: f.filename,
              size: f.size,
              content_type: f.content_type,
              url: `https://cdn.discordapp.com/attachments/${w.channel_id}/${id}/${encodeURIComponent(f.filename)}`,
              proxy_url: `https://media.discordapp.net/attachments/${w.channel_id}/${id}/${encodeURIComponent(f.filename)}`,
            };
          });
          (msg as APIMessage & { avatar_url?: string }).avatar_url = body.avatar_url as
            string | undefined;
          s.messages.get(where)!.push(msg);
          const quoted = /\(<https:\/\/discord\.com\/channels\/\d+\/\d+\/(\d+)>\)/.exec(
            msg.content,
          )?.[1];
          this.note(where, {
            kind: 'message',
            id: msg.id,
            text: msg.content,
            ...(quoted ? { target: quoted } : {}),
            ...(typeof body.avatar_url === 'string' ? { avatar: body.avatar_url } : {}),
          });
          this.hooks.dispatch('MESSAGE_CREATE', { ...msg, guild_id: s.guildId });
          return query.get('wait') === 'true' ? [200, msg] : [204, undefined];
        },
        false,
      ],
      [
        'PATCH',
        /^\/webhooks\/(\d+)\/([\w-]+)\/messages\/(\d+)$/,
        'webhook-edit',
        (m, body, query) => {
          const w = webhookOf(m[1]!, m[2]!);
          if (!w) return unknownWebhook();
          const where = threadOr(w.channel_id, query);
          if (!where) return unknownChannel();
          const msg = s.findMessage(where, m[3]!);
          if (!msg || msg.webhook_id !== w.id) return unknownMessage();
          const bad = checkMessageBody(body);
          if (bad) return bad;
          const blocked = this.blocked(String(body.content ?? ''));
          if (blocked) return blocked;
          msg.content = String(body.content ?? msg.content);
          this.note(where, { kind: 'edit', target: msg.id, text: msg.content });
          msg.edited_timestamp = new Date().toISOString();
          this.hooks.dispatch('MESSAGE_UPDATE', { ...msg, guild_id: s.guildId });
          return [200, msg];
        },
        false,
      ],
      [
        'DELETE',
        /^\/webhooks\/(\d+)\/([\w-]+)\/messages\/(\d+)$/,
        'webhook-delete',
        (m, _body, query) => {
          const w = webhookOf(m[1]!, m[2]!);
          if (!w) return unknownWebhook();
          const where = threadOr(w.channel_id, query);
          if (!where) return unknownChannel();
          return this.deleteMessage(where, m[3]!, w.id);
        },
        false,
      ],
      [
        'DELETE',
        /^\/channels\/(\d+)\/messages\/(\d+)$/,
        'delete',
        (m) => (channel(m[1]!) ? this.deleteMessage(m[1]!, m[2]!) : unknownChannel()),
        true,
      ],
      [
        'PUT',
        /^\/channels\/(\d+)\/messages\/(\d+)\/reactions\/([^/]+)\/@me$/,
        'reactions',
        (m) => {
          const msg = s.findMessage(m[1]!, m[2]!);
          if (!msg) return unknownMessage();
          const emoji = decodeURIComponent(m[3]!);
          if (/^\w/.test(emoji) && !emoji.includes(':')) return error(400, 10014, 'Unknown Emoji');
          const reaction = { count: 1, me: true, emoji: { id: null, name: emoji } };
          msg.reactions = [...(msg.reactions ?? []), reaction as never];
          this.note(m[1]!, { kind: 'reaction', target: msg.id, text: emoji });
          this.hooks.dispatch('MESSAGE_REACTION_ADD', {
            user_id: s.botUser.id,
            channel_id: m[1],
            message_id: m[2],
            guild_id: s.guildId,
            emoji: { id: null, name: emoji },
            burst: false,
            type: 0,
          });
          return [204, undefined];
        },
        true,
      ],
      [
        'DELETE',
        /^\/channels\/(\d+)\/messages\/(\d+)\/reactions\/([^/]+)\/@me$/,
        'reactions',
        (m) => {
          const msg = s.findMessage(m[1]!, m[2]!);
          if (!msg) return unknownMessage();
          const emoji = decodeURIComponent(m[3]!);
          const before = msg.reactions?.length ?? 0;
          msg.reactions = (msg.reactions ?? []).filter((r) => !(r.me && r.emoji.name === emoji));
          if (msg.reactions.length < before) {
            this.note(m[1]!, { kind: 'delete', target: msg.id, text: emoji });
            this.hooks.dispatch('MESSAGE_REACTION_REMOVE', {
              user_id: s.botUser.id,
              channel_id: m[1],
              message_id: m[2],
              guild_id: s.guildId,
              emoji: { id: null, name: emoji },
              burst: false,
              type: 0,
            });
          }
          return [204, undefined];
        },
        true,
      ],
      [
        'POST',
        /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/,
        'threads',
        (m, body) => {
          if (!channel(m[1]!)) return unknownChannel();
          if (!s.findMessage(m[1]!, m[2]!)) return unknownMessage();
          if (s.channels.has(m[2]!))
            return error(400, 160004, 'A thread has already been created for this message');
          const name = body.name;
          if (typeof name !== 'string' || name.length < 1 || name.length > 100)
            return error(400, 50035, 'Invalid Form Body', {
              name: { _errors: [{ code: 'BASE_TYPE_BAD_LENGTH' }] },
            });
          s.addThread(m[1]!, m[2]!, name);
          const thread = s.apiChannel(m[2]!);
          this.hooks.dispatch('THREAD_CREATE', { ...thread, newly_created: true });
          return [201, thread];
        },
        true,
      ],
      [
        'POST',
        /^\/channels\/(\d+)\/typing$/,
        'typing',
        (m) => (channel(m[1]!) ? [204, undefined] : unknownChannel()),
        true,
      ],
      [
        'GET',
        /^\/channels\/(\d+)\/messages$/,
        'history',
        (m, _b, query) => {
          const list = s.messages.get(m[1]!);
          if (!list) return unknownChannel();
          const after = query.get('after');
          const limit = Math.min(100, Number(query.get('limit') ?? 50));
          const newer = list.filter((x) => !after || BigInt(x.id) > BigInt(after));
          // Newest first, as Discord answers.
          return [200, newer.slice(0, limit).reverse()];
        },
        true,
      ],
      [
        'DELETE',
        /^\/guilds\/(\d+)\/members\/(\d+)$/,
        'kick',
        (m) => {
          const member = m[1] === s.guildId ? s.members.get(m[2]!) : undefined;
          if (!member) return error(404, 10007, 'Unknown Member');
          s.members.delete(m[2]!);
          this.hooks.dispatch('GUILD_MEMBER_REMOVE', { guild_id: s.guildId, user: member.user });
          return [204, undefined];
        },
        true,
      ],
      [
        'PUT',
        /^\/guilds\/(\d+)\/bans\/(\d+)$/,
        'ban',
        (m) => {
          if (m[1] !== s.guildId) return error(404, 10004, 'Unknown Guild');
          const member = s.members.get(m[2]!);
          if (!member) return error(404, 10013, 'Unknown User');
          s.bans.add(m[2]!);
          s.members.delete(m[2]!);
          this.hooks.dispatch('GUILD_BAN_ADD', { guild_id: s.guildId, user: member.user });
          return [204, undefined];
        },
        true,
      ],
      [
        'DELETE',
        /^\/guilds\/(\d+)\/bans\/(\d+)$/,
        'ban',
        (m) => {
          if (m[1] !== s.guildId || !s.bans.delete(m[2]!)) return error(404, 10026, 'Unknown Ban');
          return [204, undefined];
        },
        true,
      ],
      [
        'GET',
        /^\/guilds\/(\d+)\/members\/(\d+)$/,
        'member',
        (m) => {
          if (m[1] !== s.guildId) return error(404, 10004, 'Unknown Guild');
          const member = s.members.get(m[2]!);
          return member ? [200, s.apiMember(member)] : error(404, 10007, 'Unknown Member');
        },
        true,
      ],
      [
        'GET',
        /^\/channels\/(\d+)$/,
        'channel',
        (m) => (channel(m[1]!) ? [200, s.apiChannel(m[1]!)] : unknownChannel()),
        true,
      ],
    ];
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
function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 2048) return false;
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

function checkMessageBody(body: Record<string, unknown>): [number, unknown] | undefined {
  if (body.content !== undefined && typeof body.content !== 'string')
    return error(400, 50035, 'Invalid Form Body', {
      content: { _errors: [{ code: 'BASE_TYPE_STRING' }] },
    });
  const content = (body.content as string | undefined) ?? '';
  if (content.length > MAX_CONTENT)
    return error(400, 50035, 'Invalid Form Body', {
      content: {
        _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }],
      },
    });
  if (!content && !body.embeds && !(body.__files as unknown[] | undefined)?.length)
    return error(400, 50006, 'Cannot send an empty message');
  const allowed = body.allowed_mentions as AllowedMentions | undefined;
  if (allowed?.parse?.includes('users') && allowed.users?.length)
    return error(400, 50035, 'Invalid Form Body', {
      allowed_mentions: { _errors: [{ code: 'MUTUALLY_EXCLUSIVE' }] },
    });
  return undefined;
}
