/**
 * The Discord connector: one bot (discord.js) in the configured guilds. A portal is a guild text
 * channel (key: its id), linked to a room by core's `link discord <channel id> <room id>`, the
 * provisioning API, `channels` in the config, or (with `dynamic_aliases`) the alias
 * `#discord_<channel id>:<domain>`. Discord users are ghosts; Matrix users speak through the
 * channel's webhook (from-matrix/webhooks.ts).
 */
import { ChannelType, type GuildBasedChannel } from 'discord.js';
import {
  type AliasResolving,
  type BridgeContext,
  type Command,
  type Connector,
  type EditCapable,
  type MatrixEdit,
  type MatrixMembership,
  type MembershipCapable,
  type PinsCapable,
  type MatrixMessage,
  type MatrixPins,
  type MatrixReaction,
  type MatrixRedaction,
  type MatrixRoomId,
  type MatrixTyping,
  type PortalInfo,
  type PortalKey,
  type PortalRecord,
  type ReactionCapable,
  type RedactionCapable,
  type SendResult,
  type TypingCapable,
} from '../../src/connector.js';
import { discordConfigSchema, readToken, type DiscordConfig } from './config.js';
import { DiscordConnection } from './connection/connection.js';
import {
  handleMatrixEdit,
  handleMatrixMessage,
  handleMatrixPins,
  handleMatrixReaction,
  handleMatrixRedaction,
  handleMatrixTyping,
  type FromMatrixDeps,
} from './from-matrix/from-matrix.js';
import { makePortalKey, makeRemoteUser, parseAliasLocalpart, parsePortalKey } from './ids.js';
import { GuildSpaces } from './guilds/guild-spaces.js';
import { LastSeen } from './to-matrix/last-seen.js';
import { LinkCommands } from './guilds/link-commands.js';
import { AvatarLinks, DiscordMedia } from './to-matrix/media.js';
import { banEvents, handleMatrixMembership, leaveEvents } from './guilds/moderation.js';
import { DiscordListener } from './to-matrix/to-matrix.js';
import { Webhooks } from './from-matrix/webhooks.js';

export class DiscordConnector
  implements
    Connector<DiscordConfig>,
    AliasResolving,
    EditCapable,
    RedactionCapable,
    MembershipCapable,
    ReactionCapable,
    TypingCapable,
    PinsCapable
{
  readonly id = 'discord';
  readonly displayName = 'Discord';
  readonly configSchema = discordConfigSchema;
  // Longer texts are sent as several Discord messages (2,000 characters each).
  readonly capabilities = { maxBodyBytes: 16_000, formatting: true, media: true, threads: true };
  private ctx?: BridgeContext<DiscordConfig>;
  /** The bot's connection (undefined when stopped). Public for tests and admin tooling. */
  connection?: DiscordConnection;
  listener?: DiscordListener;
  /** Guilds bridged whole as spaces (tests and admin tooling). */
  spaces?: GuildSpaces;
  private webhooks?: Webhooks;
  private media?: DiscordMedia;
  private lastSeen?: LastSeen;
  /** Public links of Matrix users' avatars, reused for a while (one per avatar, not per message). */
  private readonly avatarLinks = new AvatarLinks();
  /** Channels that have a room: only these are bridged. */
  private readonly portalKeys = new Set<string>();

  async start(ctx: BridgeContext<DiscordConfig>): Promise<void> {
    this.ctx = ctx;
    const token = readToken(ctx.config);
    const connection = new DiscordConnection(ctx.config, token, ctx.kv, ctx.log);
    this.connection = connection;
    this.webhooks = new Webhooks(
      () => connection.client.rest,
      ctx.kv,
      ctx.secrets,
      ctx.config.webhook_name,
    );
    for (const portal of await ctx.portals()) this.portalKeys.add(portal.key);
    await this.webhooks.load([...this.portalKeys]);
    const webhooks = this.webhooks;
    const lastSeen = new LastSeen(ctx.kv);
    this.lastSeen = lastSeen;
    const media = (this.media = new DiscordMedia({
      upload: (data, opts) => ctx.uploadMedia(data, opts),
      kv: ctx.kv,
      log: ctx.log,
      maxBytes: ctx.config.max_media_bytes,
      ...(ctx.config.cdn_url ? { cdnUrl: ctx.config.cdn_url } : {}),
    }));
    this.listener = new DiscordListener(connection.client, {
      media,
      // Discord acknowledges nothing and a crash's losses come back through the catch-up from
      // the history: stored events need survive a crash of the bridge, not a flush each.
      emit: (event) => ctx.emit(event, { survives: 'process-crash' }),
      setGhostProfile: ctx.setGhostProfile,
      ghostUserId: ctx.ghostUserId,
      bridged: (channelId) => this.portalKeys.has(channelId) && this.guildAllowed(channelId),
      ownWebhook: (id) => webhooks.ids.has(id),
      threads: { set: (messageId, threadId) => ctx.kv.set(`thread-of:${messageId}`, threadId) },
      lastSeen,
      log: ctx.log,
    });
    this.listener.listen();
    const linkCommands = ctx.metrics.counter('link_commands', 'Link commands said on Discord', [
      'command',
      'outcome',
    ]);
    new LinkCommands(connection.client, {
      channel: (id) => this.channel(id),
      roomOf: (id) => this.roomOf(id),
      ensurePortal: (info) => ctx.ensurePortal(info),
      emit: (event) => ctx.emit(event),
      ...(ctx.matrixRoom && { matrixRoom: (room: string) => ctx.matrixRoom!(room) }),
      ...(ctx.unlinkPortal && { unlinkPortal: (key: PortalKey) => ctx.unlinkPortal!(key) }),
      linked: (id) => this.portalKeys.add(id),
      unlinked: (id) => this.portalKeys.delete(id),
      domain: ctx.domain,
      log: ctx.log,
      count: (command, outcome) => linkCommands.inc({ command, outcome }),
    }).listen();
    this.spaces = new GuildSpaces(
      connection.client,
      new Set(
        ctx.config.whole_guilds.filter((g) => !ctx.config.guilds || ctx.config.guilds.includes(g)),
      ),
      {
        ensurePortal: (info) => ctx.ensurePortal(info),
        bridged: (channelId) => this.portalKeys.add(channelId),
        log: ctx.log,
      },
    );
    this.spaces.listen();
    const listener = this.listener;
    // A new session (not a resume, which replays what was missed) catches up from the history.
    connection.client.on('shardReady', () => listener.catchUp([...this.portalKeys]));
    connection.client.on('guildBanAdd', (ban) => {
      const channels = [...this.portalKeys].filter(
        (id) => this.channel(id)?.guildId === ban.guild.id,
      );
      for (const event of banEvents(makeRemoteUser(ban.user.id), channels, ban.reason ?? undefined))
        void ctx
          .emit(event)
          .catch((err: unknown) =>
            ctx.log.warn({ err, portal: event.portal }, 'a Discord ban was not bridged'),
          );
    });
    connection.client.on('guildMemberRemove', (member) => {
      const user = makeRemoteUser(member.id);
      void (async () => {
        for (const id of [...this.portalKeys]) {
          if (this.channel(id)?.guildId !== member.guild.id) continue;
          if (!(await ctx.portalGhosts(makePortalKey(id))).includes(user)) continue;
          for (const event of leaveEvents(user, [id])) await ctx.emit(event);
        }
      })().catch((err: unknown) =>
        ctx.log.warn({ err, user: member.id }, 'a member leaving Discord was not bridged'),
      );
    });
    ctx.metrics.gauge(
      'connected',
      'Whether the bot is connected to the Discord gateway',
      [],
      () => [{ labels: {}, value: connection.state === 'ready' ? 1 : 0 }],
    );
    ctx.metrics.gauge('identifies', 'New gateway sessions (IDENTIFY) since start', [], () => [
      { labels: {}, value: connection.identifies },
    ]);
    ctx.metrics.gauge('resumes', 'Gateway sessions resumed since start', [], () => [
      { labels: {}, value: connection.resumes },
    ]);
    connection.start();
    for (const channel of ctx.config.channels) {
      await ctx
        .ensurePortal({
          key: makePortalKey(channel.id),
          ...(channel.room ? { roomId: channel.room as MatrixRoomId } : { name: `#${channel.id}` }),
        })
        .then((p) => this.portalKeys.add(p.key))
        .catch((err: unknown) =>
          ctx.log.warn(
            { err, portal: channel.id },
            'could not make the room of a configured channel',
          ),
        );
    }
  }

  async stop(): Promise<void> {
    await this.connection?.stop();
    await this.lastSeen?.flush();
    this.connection = undefined;
    this.portalKeys.clear();
    this.ctx = undefined;
  }

  handleMatrixMessage(msg: MatrixMessage): Promise<SendResult> {
    return handleMatrixMessage(this.deps(), msg);
  }
  handleMatrixEdit(edit: MatrixEdit): Promise<void> {
    return handleMatrixEdit(this.deps(), edit);
  }
  handleMatrixRedaction(redaction: MatrixRedaction): Promise<void> {
    return handleMatrixRedaction(this.deps(), redaction);
  }
  handleMatrixReaction(reaction: MatrixReaction): Promise<SendResult> {
    return handleMatrixReaction(this.deps(), reaction);
  }
  handleMatrixMembership(change: MatrixMembership): Promise<void> {
    const connection = this.connection;
    const ctx = this.ctx;
    if (!connection || !ctx) throw new Error('the Discord bridge is not running');
    return handleMatrixMembership(
      {
        rest: () => connection.client.rest,
        enabled: ctx.config.moderation,
        ghostRemoteId: (u) => ctx.ghostRemoteId(u),
        guildOf: (channelId) => this.channel(channelId)?.guildId,
      },
      change,
    );
  }
  handleMatrixPins(change: MatrixPins): Promise<void> {
    return handleMatrixPins(this.deps(), change);
  }
  handleMatrixTyping(typing: MatrixTyping): Promise<void> {
    return handleMatrixTyping(this.deps(), typing);
  }

  private deps(): FromMatrixDeps {
    const connection = this.connection;
    const ctx = this.ctx;
    if (!connection || !ctx || !this.webhooks) throw new Error('the Discord bridge is not running');
    return {
      rest: () => connection.client.rest,
      unavailable: () =>
        connection.state === 'refused'
          ? 'the bridge is not connected to Discord: Discord refused its bot token (an admin must set a valid one)'
          : connection.state === 'stopped'
            ? 'the bridge is not connected to Discord right now'
            : undefined,
      webhooks: this.webhooks,
      ghostRemoteId: (u) => ctx.ghostRemoteId(u),
      guildOf: (channelId) => this.channel(channelId)?.guildId,
      downloadMedia: (mxc) => ctx.downloadMedia(mxc),
      publicLink: (target) => ctx.publicLink(target),
      emojiOf: (mxc) => this.media?.emojiOf(mxc) ?? Promise.resolve(undefined),
      avatarLink: (mxc) =>
        this.avatarLinks.link(mxc, () => ctx.publicLink({ mxc, name: 'avatar' })),
      threads: {
        get: (messageId) => ctx.kv.get<string>(`thread-of:${messageId}`),
        set: (messageId, threadId) => ctx.kv.set(`thread-of:${messageId}`, threadId),
      },
      isThread: (id) => !!connection.client.channels.cache.get(id)?.isThread(),
      maxUploadBytes: ctx.config.max_upload_bytes,
    };
  }

  /** A text channel the bot sees in an allowed guild. */
  private channel(channelId: string): GuildBasedChannel | undefined {
    const c = this.connection?.client.channels.cache.get(channelId);
    if (!c || !('guildId' in c) || c.isDMBased()) return undefined;
    const guilds = this.ctx?.config.guilds;
    if (guilds && !guilds.includes(c.guildId)) return undefined;
    return c;
  }

  private guildAllowed(channelId: string): boolean {
    const guilds = this.ctx?.config.guilds;
    if (!guilds) return true;
    const c = this.connection?.client.channels.cache.get(channelId);
    return !!c && 'guildId' in c && guilds.includes(c.guildId);
  }

  /** `#discord_<channel id>`: a text channel the bot sees, when `dynamic_aliases` is on. */
  async resolveAlias(localpart: string): Promise<PortalInfo | null> {
    const channelId = parseAliasLocalpart(localpart);
    if (!channelId || !this.ctx?.config.dynamic_aliases || !this.connection) return null;
    await this.connection.ready();
    const c = this.channel(channelId);
    if (!c || (c.type !== ChannelType.GuildText && c.type !== ChannelType.GuildAnnouncement))
      return null;
    this.portalKeys.add(channelId);
    return {
      key: makePortalKey(channelId),
      name: `#${c.name}`,
      ...('topic' in c && c.topic ? { topic: c.topic } : {}),
      joinRule: 'public',
    };
  }

  async portalLinked(portal: PortalRecord): Promise<void> {
    if (parsePortalKey(portal.key)) this.portalKeys.add(portal.key);
  }

  async portalUnlinked(portal: PortalRecord): Promise<void> {
    this.portalKeys.delete(portal.key);
  }

  commands(): Command[] {
    return [
      {
        name: 'channels',
        help: 'the Discord text channels the bot sees, with the ids to link (`link discord <channel id> <room id>`)',
        run: async (ctx) => {
          const client = this.connection?.client;
          if (!client || this.connection?.state !== 'ready')
            return ctx.reply('The bridge is not connected to Discord right now.');
          const rows = [...client.channels.cache.values()]
            .filter(
              (c): c is GuildBasedChannel =>
                'guildId' in c && !c.isDMBased() && c.type === ChannelType.GuildText,
            )
            .filter((c) => this.guildAllowed(c.id))
            .map(
              (c) =>
                `- ${c.guild.name} #${c.name}: \`${c.id}\`${this.portalKeys.has(c.id) ? ' (bridged)' : ''}`,
            );
          return ctx.reply(
            rows.length ? rows.join('\n') : 'The bot sees no text channels (invite it to a guild).',
          );
        },
      },
    ];
  }

  /** The Matrix room of a channel, if it has one (tests and admin tooling). */
  async roomOf(channelId: string): Promise<string | undefined> {
    return (await this.ctx?.portals())?.find((p) => p.key === channelId)?.roomId;
  }
}
