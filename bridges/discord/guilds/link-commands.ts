/**
 * Linking from Discord's side, as Out Of Your Element and mautrix-discord offer it: a member with
 * _Manage Channels_ in a text channel mentions the bot there.
 *
 *   @bot bridge                   a new public Matrix room for the channel
 *   @bot bridge #room:server      an existing Matrix room (invite-only: the bot must be invited)
 *   @bot unbridge                 the channel's room is unlinked (the room stays)
 *   @bot help                     what the bot understands
 *
 * The permission is Discord's own computation (the member's roles, the channel's overwrites,
 * Administrator and ownership) as discord.js makes it from the guild's state. The bot answers
 * with a reply that pings nobody. A public Matrix room is not linked from Discord: anyone may
 * join one, so its moderators link it from Matrix (`link discord …`, power level ≥ 50).
 */
import {
  ChannelType,
  PermissionFlagsBits,
  type Client,
  type GuildBasedChannel,
  type Message,
} from 'discord.js';
import type { Logger } from 'pino';
import type {
  MatrixRoomId,
  MatrixRoomView,
  PortalInfo,
  PortalKey,
  PortalRecord,
  RemoteEvent,
} from '../../../src/connector.js';
import { escapeDiscord } from '../format/format.js';
import { makePortalKey, makeRemoteUser } from '../ids.js';

export interface LinkCommandDeps {
  /** A text channel of a served guild, or undefined. */
  channel(channelId: string): GuildBasedChannel | undefined;
  /** The channel's room, when it has one. */
  roomOf(channelId: string): Promise<string | undefined>;
  ensurePortal(info: PortalInfo): Promise<PortalRecord>;
  /** Core's `emit`: the room is told who bridged it. */
  emit(event: RemoteEvent): Promise<void>;
  /** Resolves an alias or room id and joins it (core's `matrixRoom`), when core has it. */
  matrixRoom?(aliasOrId: string): Promise<MatrixRoomView | undefined>;
  unlinkPortal?(portal: PortalKey): Promise<PortalRecord | undefined>;
  /** The channel is bridged from now on (or no longer). */
  linked(channelId: string): void;
  unlinked(channelId: string): void;
  /** The homeserver's name (for matrix.to links). */
  domain: string;
  log: Logger;
  count(command: string, outcome: string): void;
}

const COMMAND = /^<@!?(\d{17,20})>\s*(\S*)\s*(\S*)\s*$/;
const ROOM_REF = /^(?:#[^\s:]+:\S+|![^\s:]+(?::\S+)?)$/;

const HELP =
  'I bridge this channel to Matrix. Members with Manage Channels can say:\n' +
  '- `@me bridge`: a new public Matrix room for this channel\n' +
  '- `@me bridge #room:server`: an existing invite-only Matrix room (invite me there first)\n' +
  '- `@me unbridge`: stop bridging this channel (the Matrix room stays)';

export class LinkCommands {
  constructor(
    private readonly client: Client,
    private readonly deps: LinkCommandDeps,
  ) {}

  listen(): void {
    this.client.on('messageCreate', (m) => {
      void this.handle(m).catch((err: unknown) =>
        this.deps.log.warn({ err, portal: m.channelId }, 'a Discord link command failed'),
      );
    });
  }

  /** Answers a mention command; other messages are left alone. */
  async handle(m: Message): Promise<void> {
    const botId = this.client.user?.id;
    if (!botId || m.author.bot || m.webhookId || m.system) return;
    const parsed = COMMAND.exec(m.content);
    if (!parsed || parsed[1] !== botId) return;
    const verb = parsed[2]!.toLowerCase();
    const arg = parsed[3]!;
    const channel = this.deps.channel(m.channelId);
    if (
      !channel ||
      (channel.type !== ChannelType.GuildText && channel.type !== ChannelType.GuildAnnouncement)
    )
      return; // threads, DMs, guilds not served: not ours to link
    if (verb !== 'bridge' && verb !== 'unbridge') return this.answer(m, 'help', 'ok', HELP);
    const member = m.member ?? (await m.guild?.members.fetch(m.author.id).catch(() => null));
    const allowed =
      !!member && !!channel.permissionsFor(member)?.has(PermissionFlagsBits.ManageChannels);
    if (!allowed)
      return this.answer(
        m,
        verb,
        'refused',
        'Only members with the Manage Channels permission in this channel can change its bridge.',
      );
    if (verb === 'unbridge') return this.unbridge(m);
    return this.bridge(m, channel, arg);
  }

  private async bridge(m: Message, channel: GuildBasedChannel, arg: string): Promise<void> {
    const existing = await this.deps.roomOf(channel.id);
    if (existing)
      return this.answer(
        m,
        'bridge',
        'exists',
        `This channel is bridged already: ${this.link(existing)}`,
      );
    const key = makePortalKey(channel.id);
    if (arg === '') {
      const portal = await this.deps.ensurePortal({
        key,
        name: `#${channel.name}`,
        ...('topic' in channel && channel.topic ? { topic: channel.topic } : {}),
        joinRule: 'public',
      });
      this.deps.linked(channel.id);
      this.deps.log.info(
        { portal: channel.id, roomId: portal.roomId, by: m.author.id },
        'channel bridged from Discord',
      );
      await this.tell(m, channel);
      return this.answer(
        m,
        'bridge',
        'created',
        `Bridged to a new Matrix room: ${this.link(portal.roomId)}`,
      );
    }
    if (!ROOM_REF.test(arg))
      return this.answer(
        m,
        'bridge',
        'bad-room',
        'Name the Matrix room as `#alias:server` or `!id:server`.',
      );
    if (!this.deps.matrixRoom)
      return this.answer(
        m,
        'bridge',
        'unsupported',
        'This bridge cannot look up Matrix rooms: link the room from Matrix.',
      );
    let room: MatrixRoomView | undefined;
    try {
      room = await this.deps.matrixRoom(arg);
    } catch (err) {
      this.deps.log.info(
        { err, portal: channel.id, room: arg },
        'the bot could not join a room to link',
      );
      return this.answer(
        m,
        'bridge',
        'no-access',
        `I cannot join ${escapeDiscord(arg)}: invite me to it first.`,
      );
    }
    if (!room)
      return this.answer(m, 'bridge', 'no-room', `There is no Matrix room ${escapeDiscord(arg)}.`);
    if (room.joinRule === 'public')
      return this.answer(
        m,
        'bridge',
        'public',
        `${escapeDiscord(arg)} is a public Matrix room: one of its moderators links it from Matrix (\`link discord ${channel.id} ${room.roomId}\`).`,
      );
    const portal = await this.deps.ensurePortal({ key, roomId: room.roomId as MatrixRoomId });
    this.deps.linked(channel.id);
    this.deps.log.info(
      { portal: channel.id, roomId: portal.roomId, by: m.author.id },
      'channel linked from Discord',
    );
    await this.tell(m, channel);
    return this.answer(m, 'bridge', 'linked', `Bridged to ${this.link(portal.roomId)}`);
  }

  private async unbridge(m: Message): Promise<void> {
    if (!this.deps.unlinkPortal)
      return this.answer(
        m,
        'unbridge',
        'unsupported',
        'Unlink this channel from Matrix (`unlink discord …`).',
      );
    const was = await this.deps.unlinkPortal(makePortalKey(m.channelId));
    if (!was) return this.answer(m, 'unbridge', 'not-bridged', 'This channel is not bridged.');
    this.deps.unlinked(m.channelId);
    this.deps.log.info(
      { portal: m.channelId, roomId: was.roomId, by: m.author.id },
      'channel unlinked from Discord',
    );
    return this.answer(
      m,
      'unbridge',
      'unlinked',
      `This channel is no longer bridged to ${this.link(was.roomId)}.`,
    );
  }

  /** The room learns which channel it now stands for, and who asked. */
  private async tell(m: Message, channel: GuildBasedChannel): Promise<void> {
    const who = m.member?.displayName ?? m.author.globalName ?? m.author.username;
    await this.deps.emit({
      kind: 'bridge-notice',
      portal: makePortalKey(channel.id),
      sender: makeRemoteUser(m.author.id),
      text: `This room is now bridged to #${channel.name} on Discord (${channel.guild.name}), as ${who} asked there.`,
    });
  }

  private link(roomId: string): string {
    return `<https://matrix.to/#/${encodeURIComponent(roomId)}?via=${encodeURIComponent(this.deps.domain)}>`;
  }

  private async answer(m: Message, command: string, outcome: string, text: string): Promise<void> {
    this.deps.count(command, outcome);
    await m.reply({ content: text, allowedMentions: { parse: [], repliedUser: false } });
  }
}
