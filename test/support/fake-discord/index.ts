/**
 * A fake Discord (REST API v10 + gateway) on 127.0.0.1 for the Discord bridge's tests, kept
 * strict to Discord's documentation (rest.ts, gateway.ts). Tests act as Discord users through
 * `say`, `edit`, `remove`, `react` and `type`, which change the fake's state and dispatch the
 * gateway events Discord would.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { APIAttachment, APIMessage, APIStickerItem } from 'discord-api-types/v10';
import { StickerFormatType } from 'discord-api-types/v10';
import { FakeCdn } from './cdn.js';
import { FakeGateway } from './gateway.js';
import { FakeRest } from './rest.js';
import { snowflake } from './snowflake.js';
import { FakeGuildState, type FakeMember } from './state.js';

export { Intent } from './gateway.js';
export type { FakeMember } from './state.js';

export class FakeDiscord {
  readonly state = new FakeGuildState();
  readonly rest: FakeRest;
  readonly gateway: FakeGateway;
  /** Discord's CDN (attachments, avatars, emoji, stickers) at `cdnUrl`. */
  readonly cdn = new FakeCdn(() => this.cdnUrl);
  private readonly server: Server;

  private constructor(readonly token: string) {
    this.server = createServer((req, res) => {
      if (req.url?.startsWith('/cdn/')) return this.cdn.handle(req, res, req.url.slice(4));
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void this.rest.handle(req, res, Buffer.concat(chunks)));
    });
    this.rest = new FakeRest(this.state, token, {
      dispatch: (t, d) => this.gateway.dispatch(t, d),
      gatewayUrl: () => this.gatewayUrl,
    });
    this.gateway = new FakeGateway(this.server, this.state, token, () => this.gatewayUrl);
  }

  static async start(token = 'fake-bot-token.abc.def'): Promise<FakeDiscord> {
    const fake = new FakeDiscord(token);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }
  /** What the bridge's `api_url` is set to. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }
  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }
  /** What the bridge's `cdn_url` is set to. */
  get cdnUrl(): string {
    return `http://127.0.0.1:${this.port}/cdn`;
  }

  /** A file on the CDN as a message's attachment (pass it in `say`'s `extra.attachments`). */
  attachment(
    channelId: string,
    filename: string,
    data: Uint8Array,
    contentType?: string,
    size = data.byteLength,
  ): APIAttachment {
    const id = snowflake();
    const path = `/attachments/${channelId}/${id}/${encodeURIComponent(filename)}`;
    const url = this.cdn.put(path, data, contentType ?? 'application/octet-stream');
    return {
      id,
      filename,
      size,
      url,
      proxy_url: url,
      ...(contentType ? { content_type: contentType } : {}),
    };
  }

  /** A member sets an avatar (a PNG on the CDN); Discord tells it with their next message. */
  setAvatar(member: FakeMember, png: Uint8Array): string {
    const hash = randomBytes(16).toString('hex');
    member.user.avatar = hash;
    this.cdn.put(`/avatars/${member.user.id}/${hash}.png`, png, 'image/png');
    return hash;
  }

  /** A custom emoji of the guild (a PNG on the CDN): its id. */
  addEmoji(name: string, png: Uint8Array): { id: string; name: string } {
    const id = snowflake();
    this.state.emojis.set(id, name);
    this.cdn.put(`/emojis/${id}.png`, png, 'image/png');
    return { id, name };
  }

  /** A sticker (its image on the CDN unless it is a Lottie animation), for `say`'s `extra.sticker_items`. */
  sticker(name: string, format: StickerFormatType, data?: Uint8Array): APIStickerItem {
    const id = snowflake();
    if (data && format !== StickerFormatType.Lottie) {
      const ext = format === StickerFormatType.GIF ? 'gif' : 'png';
      this.cdn.put(`/stickers/${id}.${ext}`, data, `image/${ext}`);
    }
    return { id, name, format_type: format };
  }

  /** A new role with these permission bits (GUILD_ROLE_CREATE). */
  addRole(name: string, permissions: bigint): string {
    const id = this.state.addRole(name, permissions);
    const role = this.state.roles.find((r) => r.id === id)!;
    this.gateway.dispatch('GUILD_ROLE_CREATE', { guild_id: this.state.guildId, role });
    return id;
  }

  /** A Discord user says something in a channel (MESSAGE_CREATE). */
  say(
    member: FakeMember,
    channelId: string,
    content: string,
    extra: Partial<APIMessage> = {},
  ): APIMessage {
    const msg = this.state.message(channelId, member.user, content, extra);
    this.state.messages.get(channelId)!.push(msg);
    this.gateway.dispatch('MESSAGE_CREATE', {
      ...msg,
      guild_id: this.state.guildId,
      member: this.state.apiMember(member, false),
    });
    return msg;
  }

  /** A Discord user starts a thread from a message (THREAD_CREATE); its id is the message's. */
  startThread(msg: APIMessage, name: string): string {
    const id = this.state.addThread(msg.channel_id, msg.id, name);
    this.gateway.dispatch('THREAD_CREATE', { ...this.state.apiChannel(id), newly_created: true });
    return id;
  }

  /** A guild moderator bans a member (GUILD_BAN_ADD). */
  ban(member: FakeMember): void {
    this.state.bans.add(member.user.id);
    this.state.members.delete(member.user.id);
    this.gateway.dispatch('GUILD_BAN_ADD', { guild_id: this.state.guildId, user: member.user });
  }

  /** A moderator pins (or unpins) a message (CHANNEL_PINS_UPDATE; the pins are asked over REST). */
  pin(msg: APIMessage, pinned = true): void {
    msg.pinned = pinned;
    const pins = this.state.pins.get(msg.channel_id) ?? [];
    const rest = pins.filter((p) => p.id !== msg.id);
    this.state.pins.set(
      msg.channel_id,
      pinned ? [{ id: msg.id, at: new Date().toISOString() }, ...rest] : rest,
    );
    this.gateway.dispatch('CHANNEL_PINS_UPDATE', {
      guild_id: this.state.guildId,
      channel_id: msg.channel_id,
      last_pin_timestamp: new Date().toISOString(),
    });
  }

  /** A member leaves the guild (GUILD_MEMBER_REMOVE, for sessions with the Server Members intent). */
  leave(member: FakeMember): void {
    this.state.members.delete(member.user.id);
    this.gateway.dispatch('GUILD_MEMBER_REMOVE', {
      guild_id: this.state.guildId,
      user: member.user,
    });
  }

  /** A Discord user replies to a message. */
  reply(member: FakeMember, to: APIMessage, content: string): APIMessage {
    return this.say(member, to.channel_id, content, {
      type: 19,
      message_reference: {
        type: 0,
        message_id: to.id,
        channel_id: to.channel_id,
        guild_id: this.state.guildId,
      },
      referenced_message: to,
    });
  }

  /** A Discord user edits their message (MESSAGE_UPDATE with the whole message, as API v10 sends it). */
  edit(member: FakeMember, msg: APIMessage, content: string): void {
    msg.content = content;
    msg.edited_timestamp = new Date().toISOString();
    this.gateway.dispatch('MESSAGE_UPDATE', {
      ...msg,
      guild_id: this.state.guildId,
      member: this.state.apiMember(member, false),
    });
  }

  /** A message is deleted (MESSAGE_DELETE). */
  remove(msg: APIMessage): void {
    const list = this.state.messages.get(msg.channel_id)!;
    list.splice(list.indexOf(msg), 1);
    this.gateway.dispatch('MESSAGE_DELETE', {
      id: msg.id,
      channel_id: msg.channel_id,
      guild_id: this.state.guildId,
    });
  }

  /** A Discord user reacts with a unicode emoji, or a custom one (MESSAGE_REACTION_ADD). */
  react(member: FakeMember, msg: APIMessage, emoji: string | { id: string; name: string }): void {
    this.gateway.dispatch('MESSAGE_REACTION_ADD', {
      user_id: member.user.id,
      channel_id: msg.channel_id,
      message_id: msg.id,
      guild_id: this.state.guildId,
      member: this.state.apiMember(member),
      emoji: typeof emoji === 'string' ? { id: null, name: emoji } : emoji,
      message_author_id: msg.author.id,
      burst: false,
      burst_colors: [],
      type: 0,
    });
  }

  /** A Discord user starts typing (TYPING_START). */
  type(member: FakeMember, channelId: string): void {
    this.gateway.dispatch('TYPING_START', {
      channel_id: channelId,
      guild_id: this.state.guildId,
      user_id: member.user.id,
      timestamp: Math.floor(Date.now() / 1000),
      member: this.state.apiMember(member),
    });
  }

  /** Messages the channel holds now (sent by anyone, webhooks included), oldest first. */
  messages(channelId: string): APIMessage[] {
    return this.state.messages.get(channelId) ?? [];
  }

  async close(): Promise<void> {
    this.gateway.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
