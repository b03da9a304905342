/** The fake's webhook routes: list and make a channel's webhooks, execute (with files), edit and delete their messages. */
import { randomBytes } from 'node:crypto';
import type { APIMessage } from 'discord-api-types/v10';
import { checkMessageBody, isHttpUrl, type Route, type RouteHelpers } from './rest-shared.js';
import { snowflake } from './snowflake.js';
import type { AllowedMentions } from './state.js';

export function webhookRoutes(r: RouteHelpers): Route[] {
  const s = r.state;
  const { channel, unknownChannel, unknownMessage, unknownWebhook, threadOr, webhookOf, error } = r;
  return [
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
                .map((w) => r.apiWebhook(w)),
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
        return [200, r.apiWebhook(w)];
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
        const blocked = r.blocked(String(body.content ?? ''));
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
        r.note(where, {
          kind: 'message',
          id: msg.id,
          text: msg.content,
          ...(quoted ? { target: quoted } : {}),
          ...(typeof body.avatar_url === 'string' ? { avatar: body.avatar_url } : {}),
        });
        r.dispatch('MESSAGE_CREATE', { ...msg, guild_id: s.guildId });
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
        const blocked = r.blocked(String(body.content ?? ''));
        if (blocked) return blocked;
        msg.content = String(body.content ?? msg.content);
        r.note(where, { kind: 'edit', target: msg.id, text: msg.content });
        msg.edited_timestamp = new Date().toISOString();
        r.dispatch('MESSAGE_UPDATE', { ...msg, guild_id: s.guildId });
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
        return r.deleteMessage(where, m[3]!, w.id);
      },
      false,
    ],
  ];
}
