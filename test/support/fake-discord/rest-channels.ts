/** The fake's channel routes: the gateway URL, a channel, its history, the bot's messages, deletions, the bot's reactions, threads, typing. */
import { checkMessageBody, type Route, type RouteHelpers } from './rest-shared.js';
import type { AllowedMentions } from './state.js';

export function channelRoutes(r: RouteHelpers): Route[] {
  const s = r.state;
  const { channel, unknownChannel, unknownMessage, error } = r;
  return [
    [
      'GET',
      /^\/gateway\/bot$/,
      'gateway',
      () => [
        200,
        {
          url: r.gatewayUrl(),
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
      // The bot's own message (a reply to a command, say), as Create Message takes it.
      'POST',
      /^\/channels\/(\d+)\/messages$/,
      'bot-messages',
      (m, body) => {
        if (!channel(m[1]!)) return unknownChannel();
        const bad = checkMessageBody(body);
        if (bad) return bad;
        const ref = body.message_reference as { message_id?: unknown } | undefined;
        if (ref !== undefined && !s.findMessage(m[1]!, String(ref.message_id)))
          return error(400, 50035, 'Invalid Form Body', {
            message_reference: { _errors: [{ code: 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE' }] },
          });
        const blocked = r.blocked(String(body.content ?? ''));
        if (blocked) return blocked;
        const msg = s.message(m[1]!, s.botUser, String(body.content ?? ''), {
          allowed: body.allowed_mentions as AllowedMentions | undefined,
          ...(ref
            ? {
                type: 19,
                message_reference: {
                  type: 0,
                  message_id: String(ref.message_id),
                  channel_id: m[1]!,
                  guild_id: s.guildId,
                },
              }
            : {}),
        });
        s.messages.get(m[1]!)!.push(msg);
        r.note(m[1]!, { kind: 'message', id: msg.id, text: msg.content });
        r.dispatch('MESSAGE_CREATE', { ...msg, guild_id: s.guildId });
        return [200, msg];
      },
      true,
    ],
    [
      'DELETE',
      /^\/channels\/(\d+)\/messages\/(\d+)$/,
      'delete',
      (m) => (channel(m[1]!) ? r.deleteMessage(m[1]!, m[2]!) : unknownChannel()),
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
        // A custom emoji is `name:id`, of this guild.
        const custom = /^(\w{2,32}):(\d{17,20})$/.exec(emoji);
        if (custom && s.emojis.get(custom[2]!) !== custom[1])
          return error(400, 10014, 'Unknown Emoji');
        const apiEmoji = custom ? { id: custom[2]!, name: custom[1]! } : { id: null, name: emoji };
        const reaction = { count: 1, me: true, emoji: apiEmoji };
        msg.reactions = [...(msg.reactions ?? []), reaction as never];
        r.note(m[1]!, { kind: 'reaction', target: msg.id, text: emoji });
        r.dispatch('MESSAGE_REACTION_ADD', {
          user_id: s.botUser.id,
          channel_id: m[1],
          message_id: m[2],
          guild_id: s.guildId,
          emoji: apiEmoji,
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
          r.note(m[1]!, { kind: 'delete', target: msg.id, text: emoji });
          r.dispatch('MESSAGE_REACTION_REMOVE', {
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
        r.dispatch('THREAD_CREATE', { ...thread, newly_created: true });
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
      'GET',
      /^\/channels\/(\d+)$/,
      'channel',
      (m) => (channel(m[1]!) ? [200, s.apiChannel(m[1]!)] : unknownChannel()),
      true,
    ],
    [
      'GET',
      /^\/channels\/(\d+)\/messages\/pins$/,
      'pins',
      (m, _body, query) => {
        if (!channel(m[1]!)) return unknownChannel();
        const limit = Number(query.get('limit') ?? 50);
        if (!Number.isInteger(limit) || limit < 1 || limit > 50)
          return error(400, 50035, 'Invalid Form Body', {
            limit: {
              _errors: [{ code: 'NUMBER_TYPE_MAX', message: 'int value should be <= 50.' }],
            },
          });
        const list = r.state.pins.get(m[1]!) ?? [];
        const messages = r.state.messages.get(m[1]!) ?? [];
        const items = list
          .slice(0, limit)
          .map((p) => ({ pinned_at: p.at, message: messages.find((x) => x.id === p.id) }))
          .filter((i) => i.message);
        return [200, { items, has_more: list.length > limit }];
      },
      true,
    ],
    ...(['PUT', 'DELETE'] as const).map((method): Route => [
      method,
      /^\/channels\/(\d+)\/messages\/pins\/(\d+)$/,
      'pins',
      (m) => {
        const msg = s.findMessage(m[1]!, m[2]!);
        if (!msg) return unknownMessage();
        const pins = s.pins.get(m[1]!) ?? [];
        const rest = pins.filter((p) => p.id !== msg.id);
        if (method === 'PUT' && rest.length >= 250)
          return error(400, 30003, 'Maximum number of pins reached (250)');
        msg.pinned = method === 'PUT';
        s.pins.set(
          m[1]!,
          method === 'PUT' ? [{ id: msg.id, at: new Date().toISOString() }, ...rest] : rest,
        );
        r.dispatch('CHANNEL_PINS_UPDATE', {
          guild_id: s.guildId,
          channel_id: m[1],
          last_pin_timestamp: new Date().toISOString(),
        });
        return [204, undefined];
      },
      true,
    ]),
  ];
}
