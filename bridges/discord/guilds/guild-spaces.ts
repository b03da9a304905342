/**
 * Guilds bridged whole (`whole_guilds`): a guild is a Matrix space (portal `guild:<id>`), each of
 * its text channels a room in it, made when the bot sees the guild (at each new session) and when
 * a channel is created on Discord (CHANNEL_CREATE), so new channels follow. Rooms are public, as
 * rooms opened by `dynamic_aliases` are: the guild's admins asked for the whole guild on Matrix.
 */
import { ChannelType, type Client, type Guild, type GuildBasedChannel } from 'discord.js';
import type { Logger } from 'pino';
import type { PortalInfo, PortalRecord } from '../../../src/connector.js';
import { makeGuildKey, makePortalKey } from '../ids.js';

export interface GuildSpaceDeps {
  ensurePortal(info: PortalInfo): Promise<PortalRecord>;
  /** A channel got its room (so its events are bridged from now on). */
  bridged(channelId: string): void;
  log: Logger;
}

const TEXT = new Set<ChannelType>([ChannelType.GuildText, ChannelType.GuildAnnouncement]);

export class GuildSpaces {
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly client: Client,
    private readonly guilds: ReadonlySet<string>,
    private readonly deps: GuildSpaceDeps,
  ) {}

  listen(): void {
    if (!this.guilds.size) return;
    this.client.on('shardReady', () => {
      for (const guild of this.client.guilds.cache.values()) this.guild(guild);
    });
    this.client.on('guildCreate', (guild) => this.guild(guild));
    this.client.on('channelCreate', (channel) => {
      if (this.guilds.has(channel.guildId) && TEXT.has(channel.type))
        this.inOrder(channel.guildId, () => this.channel(channel.guild, channel));
    });
  }

  /** The guild's space and a room for each of its text channels. */
  private guild(guild: Guild): void {
    if (!this.guilds.has(guild.id)) return;
    this.inOrder(guild.id, async () => {
      for (const channel of guild.channels.cache.values())
        if (TEXT.has(channel.type)) await this.channel(guild, channel);
    });
  }

  private async space(guild: Guild): Promise<void> {
    await this.deps.ensurePortal({
      key: makeGuildKey(guild.id),
      name: guild.name,
      ...(guild.description ? { topic: guild.description } : {}),
      joinRule: 'public',
      space: true,
    });
  }

  private async channel(guild: Guild, channel: GuildBasedChannel): Promise<void> {
    await this.space(guild);
    await this.deps.ensurePortal({
      key: makePortalKey(channel.id),
      name: `#${channel.name}`,
      ...('topic' in channel && channel.topic ? { topic: channel.topic } : {}),
      joinRule: 'public',
      parent: makeGuildKey(guild.id),
    });
    this.deps.bridged(channel.id);
  }

  /** One guild's work at a time, in order; a failure is logged and the next goes on. */
  private inOrder(guildId: string, work: () => Promise<void>): void {
    const next = (this.queues.get(guildId) ?? Promise.resolve())
      .then(work)
      .catch((err: unknown) =>
        this.deps.log.warn(
          { err, guild: guildId },
          'could not bridge a guild channel into its space',
        ),
      );
    this.queues.set(guildId, next);
  }

  /** Waits for the work queued so far (tests). */
  async settled(): Promise<void> {
    await Promise.all(this.queues.values());
  }
}
