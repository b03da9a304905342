/**
 * What the fake Discord holds: one guild with its channels, roles, members and messages, the
 * webhooks made in it. Shapes are Discord API v10's (discord-api-types), as the gateway and the
 * REST API hand them out.
 */
import type {
  APIChannel,
  APIGuildMember,
  APIMessage,
  APIRole,
  APIUser,
  GatewayGuildCreateDispatchData,
} from 'discord-api-types/v10';
import { snowflake } from './snowflake.js';

export interface FakeWebhook {
  id: string;
  token: string;
  channel_id: string;
  name: string;
}

export interface FakeMember {
  user: APIUser;
  nick: string | null;
  roles: string[];
  avatar: string | null;
}

export const user = (id: string, username: string, globalName: string | null = null): APIUser => ({
  id,
  username,
  discriminator: '0',
  global_name: globalName,
  avatar: null,
});

export class FakeGuildState {
  readonly guildId = snowflake();
  readonly botUser: APIUser = { ...user(snowflake(), 'switchboard-bot'), bot: true };
  /** Text channels, and threads (with their parent channel). */
  readonly channels = new Map<
    string,
    { id: string; name: string; topic: string | null; parentId?: string }
  >();
  readonly roles: APIRole[] = [];
  readonly members = new Map<string, FakeMember>();
  /** Messages by channel, oldest first. */
  readonly messages = new Map<string, APIMessage[]>();
  readonly webhooks = new Map<string, FakeWebhook>();
  /** Pinned messages by channel, the latest pin first (as Discord lists them). */
  readonly pins = new Map<string, { id: string; at: string }[]>();
  /** The guild's custom emoji: name by id. */
  readonly emojis = new Map<string, string>();
  /** Banned user ids. */
  readonly bans = new Set<string>();

  constructor() {
    // @everyone: view, send, read history, react, embed, attach (no moderation).
    this.roles.push(
      this.role(this.guildId, '@everyone', String(1024 + 2048 + 65536 + 64 + 16384 + 32768)),
    );
  }

  role(id: string, name: string, permissions = '0'): APIRole {
    return {
      id,
      name,
      permissions,
      position: this.roles.length,
      color: 0,
      colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
      hoist: false,
      managed: false,
      mentionable: true,
      flags: 0 as APIRole['flags'],
      icon: null,
      unicode_emoji: null,
    };
  }

  /** A role with these permission bits, for members to be given. */
  addRole(name: string, permissions: bigint): string {
    const id = snowflake();
    this.roles.push(this.role(id, name, String(permissions)));
    return id;
  }

  addChannel(name: string, topic: string | null = null): string {
    const id = snowflake();
    this.channels.set(id, { id, name, topic });
    this.messages.set(id, []);
    return id;
  }

  addMember(
    username: string,
    nick: string | null = null,
    globalName: string | null = null,
  ): FakeMember {
    const member: FakeMember = {
      user: user(snowflake(), username, globalName),
      nick,
      roles: [],
      avatar: null,
    };
    this.members.set(member.user.id, member);
    return member;
  }

  /** A thread started from a message: its id is the message's (as Discord makes them). */
  addThread(parentId: string, messageId: string, name: string): string {
    this.channels.set(messageId, { id: messageId, name, topic: null, parentId });
    this.messages.set(messageId, []);
    return messageId;
  }

  apiChannel(id: string): APIChannel {
    const c = this.channels.get(id)!;
    if (c.parentId)
      return {
        id: c.id,
        type: 11,
        name: c.name,
        guild_id: this.guildId,
        parent_id: c.parentId,
        owner_id: this.botUser.id,
        last_message_id: null,
        rate_limit_per_user: 0,
        message_count: this.messages.get(id)?.length ?? 0,
        member_count: 1,
        total_message_sent: this.messages.get(id)?.length ?? 0,
        flags: 0,
        thread_metadata: {
          archived: false,
          auto_archive_duration: 1440,
          archive_timestamp: new Date().toISOString(),
          locked: false,
        },
      } as unknown as APIChannel;
    return {
      id: c.id,
      type: 0,
      name: c.name,
      topic: c.topic,
      guild_id: this.guildId,
      position: 0,
      permission_overwrites: [],
      nsfw: false,
      parent_id: null,
      last_message_id: null,
      rate_limit_per_user: 0,
    } as APIChannel;
  }

  apiMember(m: FakeMember, withUser = true): APIGuildMember {
    return {
      ...(withUser ? { user: m.user } : {}),
      nick: m.nick,
      avatar: m.avatar,
      roles: m.roles,
      joined_at: new Date(0).toISOString(),
      deaf: false,
      mute: false,
      flags: 0,
    } as unknown as APIGuildMember;
  }

  guildCreate(): GatewayGuildCreateDispatchData {
    return {
      id: this.guildId,
      name: 'Fake Guild',
      icon: null,
      splash: null,
      discovery_splash: null,
      owner_id: '1000000000000000000',
      region: '',
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      roles: this.roles,
      emojis: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      vanity_url_code: null,
      description: null,
      banner: null,
      premium_tier: 0,
      preferred_locale: 'en-US',
      public_updates_channel_id: null,
      nsfw_level: 0,
      stickers: [],
      premium_progress_bar_enabled: false,
      hub_type: null,
      safety_alerts_channel_id: null,
      incidents_data: null,
      joined_at: new Date(0).toISOString(),
      large: false,
      unavailable: false,
      member_count: this.members.size + 1,
      voice_states: [],
      members: [...this.members.values()].map((m) => this.apiMember(m)),
      channels: [...this.channels.values()]
        .filter((c) => !c.parentId)
        .map((c) => this.apiChannel(c.id)),
      threads: [...this.channels.values()]
        .filter((c) => c.parentId)
        .map((c) => this.apiChannel(c.id)),
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    } as unknown as GatewayGuildCreateDispatchData;
  }

  findMessage(channelId: string, id: string): APIMessage | undefined {
    return this.messages.get(channelId)?.find((m) => m.id === id);
  }

  /** A message as Discord stores it, with the mentions Discord parses from its content. */
  message(
    channelId: string,
    author: APIUser,
    content: string,
    extra: Partial<APIMessage> & { allowed?: AllowedMentions } = {},
  ): APIMessage {
    const { allowed, ...rest } = extra;
    const mentions = parseMentions(content, allowed);
    return {
      id: snowflake(),
      channel_id: channelId,
      author,
      content,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: mentions.everyone,
      mentions: mentions.users
        .map(
          (id) => this.members.get(id)?.user ?? (id === this.botUser.id ? this.botUser : undefined),
        )
        .filter((u): u is APIUser => u !== undefined),
      mention_roles: mentions.roles,
      attachments: [],
      embeds: [],
      pinned: false,
      type: 0,
      ...rest,
    } as APIMessage;
  }
}

export interface AllowedMentions {
  parse?: ('users' | 'roles' | 'everyone')[];
  users?: string[];
  roles?: string[];
  replied_user?: boolean;
}

/**
 * Who a message pings, as Discord decides it: every mention in the content for a user's own
 * message; for a webhook or bot message with `allowed_mentions`, only what that allows.
 */
export function parseMentions(
  content: string,
  allowed?: AllowedMentions,
): { users: string[]; roles: string[]; everyone: boolean } {
  const users = [...content.matchAll(/<@!?(\d{17,20})>/g)].map((m) => m[1]!);
  const roles = [...content.matchAll(/<@&(\d{17,20})>/g)].map((m) => m[1]!);
  const everyone = /@(everyone|here)/.test(content);
  if (!allowed) return { users: [...new Set(users)], roles: [...new Set(roles)], everyone };
  const parse = new Set(allowed.parse ?? []);
  return {
    users: [...new Set(users.filter((u) => parse.has('users') || allowed.users?.includes(u)))],
    roles: [...new Set(roles.filter((r) => parse.has('roles') || allowed.roles?.includes(r)))],
    everyone: everyone && parse.has('everyone'),
  };
}
