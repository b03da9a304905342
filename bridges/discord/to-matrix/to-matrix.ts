/**
 * Discord → Matrix: gateway events of bridged channels become remote events, one channel's in
 * the order Discord sent them. A Discord user's ghost gets their guild nickname (else their
 * global name, else their username) before their message is emitted, so core makes the ghost
 * join first and the first message of a new user is never lost. Messages of our own webhooks
 * (Matrix users) and of the bot are not bridged back.
 */
import { PermissionFlagsBits, Routes } from 'discord.js';
import type {
  Client,
  Collection,
  GuildMember,
  Message,
  MessageReaction,
  PartialMessage,
  PartialMessageReaction,
  PartialUser,
  Typing,
  User,
} from 'discord.js';
import type { Logger } from 'pino';
import type {
  GhostProfile,
  MessageContent,
  RemoteEvent,
  RemoteUserId,
} from '../../../src/connector.js';
import type { DiscordMedia } from './media.js';
import { messageContent } from '../format/message-content.js';
import { makeMessageId, makePortalKey, makeReactionId, makeRemoteUser } from '../ids.js';

export interface ToMatrixSink {
  emit(event: RemoteEvent): Promise<void>;
  setGhostProfile(user: RemoteUserId, profile: GhostProfile): Promise<void>;
  ghostUserId(user: RemoteUserId): string;
  /** Discord files → Matrix media. */
  media: DiscordMedia;
  /** Whether the channel has a room (only those are bridged). */
  bridged(channelId: string): boolean;
  /** Whether a webhook is ours (its messages came from Matrix). */
  ownWebhook(id: string): boolean;
  /** The thread a message is in (for edits, deletions and reactions from Matrix). */
  threads: { set(messageId: string, threadId: string): Promise<void> };
  /** The last message id seen in each channel (for the catch-up after a new session). */
  lastSeen: {
    get(channelId: string): Promise<string | undefined>;
    set(channelId: string, id: string): Promise<void>;
  };
  log: Logger;
}

/** At most this many pages of 100 messages per channel are caught up after a new session. */
const MAX_CATCH_UP_PAGES = 10;

export class DiscordListener {
  private readonly queues = new Map<string, Promise<void>>();
  /** Profiles already set, by user id, to skip setting them again for every message. */
  private readonly profiles = new Map<string, string>();
  /** Power levels sent, by `<channel> <user>`. */
  private readonly levels = new Map<string, number>();

  constructor(
    private readonly client: Client,
    private readonly sink: ToMatrixSink,
  ) {}

  listen(): void {
    this.client.on('messageCreate', (m) => this.inOrder(m.channelId, () => this.created(m)));
    this.client.on('messageUpdate', (old, m) =>
      this.inOrder(m.channelId, () => this.updated(old, m)),
    );
    this.client.on('messageDelete', (m) => this.inOrder(m.channelId, () => this.deleted(m)));
    this.client.on('messageReactionAdd', (r, u) =>
      this.inOrder(r.message.channelId, () => this.reacted(r, u, true)),
    );
    this.client.on('messageReactionRemove', (r, u) =>
      this.inOrder(r.message.channelId, () => this.reacted(r, u, false)),
    );
    this.client.on('typingStart', (t) => this.inOrder(t.channel.id, () => this.typing(t)));
    this.client.on('channelPinsUpdate', (c) => {
      if (!c.isThread()) this.inOrder(c.id, () => this.pins(c.id));
    });
  }

  /** Runs `work` after the channel's earlier events; a failure is logged, never stops the channel. */
  /** The channel a portal stands for: a thread's parent, else the channel itself. */
  portalChannel(channelId: string): string {
    const c = this.client.channels.cache.get(channelId);
    return c?.isThread() && c.parentId ? c.parentId : channelId;
  }

  /** A thread's id, when the channel is one (the root message's id for a thread started from one). */
  private threadOf(channelId: string): string | undefined {
    const c = this.client.channels.cache.get(channelId);
    return c?.isThread() && c.parentId ? c.id : undefined;
  }

  /** Runs `work` after the portal's earlier events (a thread's go with its channel's). */
  private inOrder(channelId: string, work: () => Promise<void>): void {
    channelId = this.portalChannel(channelId);
    if (!this.sink.bridged(channelId)) return;
    const next = (this.queues.get(channelId) ?? Promise.resolve())
      .then(work)
      .catch((err: unknown) =>
        this.sink.log.warn({ err, portal: channelId }, 'a Discord event was not bridged'),
      );
    this.queues.set(channelId, next);
  }

  /** Waits until every event heard so far is stored (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all(this.queues.values());
  }

  private fromMatrix(m: Message | PartialMessage): boolean {
    return (
      (!!m.webhookId && this.sink.ownWebhook(m.webhookId)) ||
      (!!m.author && m.author.id === this.client.user?.id)
    );
  }

  private async sender(m: Message): Promise<RemoteUserId> {
    const user = makeRemoteUser(m.author.id);
    // A message from the REST history carries no member: the guild's member is asked (once).
    const member =
      m.member ??
      (m.guild && !m.webhookId
        ? (m.guild.members.cache.get(m.author.id) ??
          (await m.guild.members.fetch(m.author.id).catch(() => null)))
        : null);
    const name = member?.displayName ?? m.author.globalName ?? m.author.username;
    // Their guild avatar, else their own; none (Discord's default picture) leaves the ghost's.
    const avatar = member?.avatar ? `g${member.avatar}` : (m.author.avatar ?? '');
    const known = `${name}\n${avatar}`;
    if (this.profiles.get(m.author.id) !== known) {
      const url = avatar
        ? (member ?? m.author).displayAvatarURL({ extension: 'png', size: 256, forceStatic: true })
        : undefined;
      const avatarUrl = url && (await this.sink.media.avatar(m.author.id, avatar, url));
      await this.sink.setGhostProfile(user, {
        displayName: name,
        ...(avatarUrl ? { avatarUrl } : {}),
      });
      // An avatar that could not be had is tried again with their next message.
      this.profiles.set(m.author.id, avatarUrl || !avatar ? known : name);
    }
    if (member) await this.powerLevel(m.channelId, user, member);
    return user;
  }

  /**
   * Guild roles → the ghost's power level in the channel's room, where they map: Administrator
   * 100 (core caps it below its bot), Manage Messages 50. Sent when it changes (and once for
   * anyone above 0 after a start); Discord tells a member's roles with each of their messages.
   */
  private async powerLevel(
    channelId: string,
    user: RemoteUserId,
    member: GuildMember,
  ): Promise<void> {
    const level = levelOf(member);
    const key = `${channelId} ${user}`;
    const known = this.levels.get(key);
    this.levels.set(key, level);
    if (known === level || (known === undefined && level === 0)) return;
    await this.sink.emit({
      kind: 'power-levels',
      portal: makePortalKey(channelId),
      sender: user,
      levels: [{ user, level }],
    });
  }

  /** A message's content; `media`: its files re-uploaded (not for edits: Matrix keeps the first). */
  content(m: Message, media = true): Promise<MessageContent> {
    return messageContent(
      {
        client: this.client,
        ghostUserId: this.sink.ghostUserId,
        media: this.sink.media,
        files: media,
      },
      m,
    );
  }

  /**
   * After a new gateway session (a start, or a session Discord ended), what the channels said
   * since the last message bridged from them is fetched from the REST history and bridged in
   * order, ahead of newer live events; core drops what it has already (message ids).
   */
  catchUp(channelIds: Iterable<string>): void {
    for (const channelId of channelIds) this.inOrder(channelId, () => this.fetchMissed(channelId));
  }

  private async fetchMissed(channelId: string): Promise<void> {
    let after = await this.sink.lastSeen.get(channelId);
    if (!after) return; // nothing bridged from it yet: nothing to catch up
    const channel = await this.client.channels.fetch(channelId).catch(() => null);
    if (!channel?.isTextBased() || channel.isDMBased()) return;
    let caught = 0;
    for (let page = 0; page < MAX_CATCH_UP_PAGES; page++) {
      const batch: Collection<string, Message> = await channel.messages.fetch({
        after,
        limit: 100,
        cache: false,
      });
      const older: Message[] = [...batch.values()].sort((a, b) =>
        BigInt(a.id) < BigInt(b.id) ? -1 : 1,
      );
      for (const m of older) await this.created(m);
      caught += older.length;
      if (older.length < 100) break;
      after = older[older.length - 1]!.id;
    }
    if (caught)
      this.sink.log.info({ portal: channelId, messages: caught }, 'caught up with Discord history');
  }

  private async created(m: Message): Promise<void> {
    await this.bridgeCreated(m);
    await this.sink.lastSeen.set(m.channelId, m.id);
  }

  private async bridgeCreated(m: Message): Promise<void> {
    if (this.fromMatrix(m) || m.system) return;
    const sender = await this.sender(m);
    // A reference in a thread's first message points at the thread's root: no reply.
    const thread = this.threadOf(m.channelId);
    const replyTo =
      thread && m.reference?.messageId === thread ? undefined : m.reference?.messageId;
    if (thread) await this.sink.threads.set(m.id, thread);
    await this.sink.emit({
      kind: 'message',
      portal: makePortalKey(this.portalChannel(m.channelId)),
      sender,
      id: makeMessageId(m.id),
      content: await this.content(m),
      ...(replyTo ? { replyTo: makeMessageId(replyTo) } : {}),
      ...(thread ? { thread: makeMessageId(thread) } : {}),
      timestamp: m.createdTimestamp,
    });
  }

  private async updated(old: Message | PartialMessage, m: Message | PartialMessage): Promise<void> {
    if (m.partial) m = await m.fetch();
    if (this.fromMatrix(m) || m.system) return;
    if (!old.partial && old.content === m.content) return; // an embed appeared, say: nothing to edit
    const sender = await this.sender(m);
    await this.sink.emit({
      kind: 'edit',
      portal: makePortalKey(this.portalChannel(m.channelId)),
      sender,
      target: makeMessageId(m.id),
      content: await this.content(m, false),
      ...(m.editedTimestamp ? { timestamp: m.editedTimestamp } : {}),
    });
  }

  private async deleted(m: Message | PartialMessage): Promise<void> {
    // Who deleted it is not in the event: the author's ghost redacts their own message.
    const author = m.author?.id;
    if (!author || this.fromMatrix(m)) return;
    await this.sink.emit({
      kind: 'delete',
      portal: makePortalKey(this.portalChannel(m.channelId)),
      sender: makeRemoteUser(author),
      target: makeMessageId(m.id),
    });
  }

  private async reacted(
    r: MessageReaction | PartialMessageReaction,
    u: User | PartialUser,
    added: boolean,
  ): Promise<void> {
    if (u.id === this.client.user?.id) return; // the bot's reactions are Matrix users'
    const emoji = r.emoji.id ? `:${r.emoji.name ?? 'emoji'}:` : (r.emoji.name ?? '');
    if (!emoji) return;
    // A custom emoji reacts with its image (an mxc key, as Matrix clients with custom emoji show
    // it), or its `:name:` when the image cannot be had; the id stays `:name:` either way.
    const key = (r.emoji.id && (await this.sink.media.emoji(r.emoji.id, emoji))) || emoji;
    const portal = makePortalKey(this.portalChannel(r.message.channelId));
    const id = makeReactionId(r.message.id, u.id, emoji);
    const sender = makeRemoteUser(u.id);
    if (added) {
      if (!u.partial && this.profiles.get(u.id) === undefined) {
        const member = r.message.guild?.members.cache.get(u.id);
        const name = member?.displayName ?? u.globalName ?? u.username;
        await this.sink.setGhostProfile(sender, { displayName: name });
        this.profiles.set(u.id, name);
      }
      await this.sink.emit({
        kind: 'reaction',
        portal,
        sender,
        id,
        target: makeMessageId(r.message.id),
        key,
      });
    } else await this.sink.emit({ kind: 'delete', portal, sender, target: id });
  }

  /** The channel's pins now (Discord says only that they changed): the room's pinned events. */
  private async pins(channelId: string): Promise<void> {
    const answer = (await this.client.rest.get(Routes.channelMessagesPins(channelId), {
      query: new URLSearchParams({ limit: '50' }),
    })) as { items: { message: { id: string } }[] };
    // Discord lists the latest pin first; Matrix keeps them in the order they were pinned.
    const pinned = answer.items.map((i) => makeMessageId(i.message.id)).reverse();
    await this.sink.emit({
      kind: 'pins',
      portal: makePortalKey(channelId),
      sender: makeRemoteUser(this.client.user?.id ?? '0'),
      pinned,
    });
  }

  private async typing(t: Typing): Promise<void> {
    if (t.user.id === this.client.user?.id) return;
    await this.sink.emit({
      kind: 'typing',
      portal: makePortalKey(this.portalChannel(t.channel.id)),
      sender: makeRemoteUser(t.user.id),
      typing: true,
    });
  }
}

/** A member's Matrix power level from their guild permissions. */
export function levelOf(member: Pick<GuildMember, 'permissions'>): number {
  const permissions = member.permissions; // computed from the roles at each read: once
  if (permissions.has(PermissionFlagsBits.Administrator)) return 100;
  if (permissions.has(PermissionFlagsBits.ManageMessages)) return 50;
  return 0;
}
