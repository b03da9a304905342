/**
 * A bridged channel's own state, as the bot hears it: its topic (a change from someone becomes
 * the room's topic) and whether it is secret, private or invite-only (its room's join rule
 * follows: invite-only, or open to anyone again).
 */
import type { Client } from 'irc-framework';
import type { PortalKey, RemoteEvent } from '../../../src/connector.js';
import { ChannelFlags } from '../channels/channel-flags.js';
import type { ModeChange } from '../channels/modes.js';
import type { IrcNetwork } from '../connection/client.js';
import { isChannelName, makePortalKey, makeRemoteUser } from '../ids.js';
import { ts, type HeardEvents, type RemoteSink } from './emitter.js';

export class ChannelState {
  /** Lowercased channel → its topic as last heard (on join or a change). */
  private readonly topics = new Map<string, string>();
  /** Whether each channel is secret, private or invite-only (its room too). */
  private readonly flags = new ChannelFlags();

  constructor(
    private readonly network: IrcNetwork,
    private readonly sink: RemoteSink,
    private readonly heard: HeardEvents,
  ) {}

  /** Subscribes to the bot connection's events (before the other listeners: MODE comes first). */
  listen(client: Client): void {
    // The bot joined: it asks the channel's modes (answered by 324, `channel info`).
    client.on('join', (e: { nick: string; channel: string }) => {
      if (this.network.bot.isMe(e.nick)) this.askModes(e.channel);
    });
    // A JOIN refused as invite-only (473): the channel is +i (its room is invite-only too).
    client.on('raw', (e: { line: string; from_server: boolean }) => {
      const m = e.from_server ? /^(?:@\S+ )?:\S+ 473 \S+ (\S+)/.exec(e.line) : null;
      if (m) this.flags.refusedAsInviteOnly(m[1]!);
    });
    // The channel's modes (324), asked when the bot joins: whether its room is invite-only.
    client.on('channel info', (e: { channel: string; modes?: ModeChange[] }) => {
      if (!e.modes) return; // 329 (creation time) and 328 (URL) come as channel info too
      const hidden = this.flags.learned(e.channel, e.modes);
      // The room follows what the channel is now (it may have changed while the bot was away).
      this.queueJoinRule(e.channel, this.network.bot.nick, hidden);
    });
    // +s/+p/+i set or lifted: the room follows (invite-only, or open to anyone again).
    client.on('mode', (e: { target: string; nick: string; modes: ModeChange[] }) => {
      if (!isChannelName(e.target)) return;
      const hidden = this.flags.changed(e.target, e.modes);
      if (hidden !== undefined) this.queueJoinRule(e.target, e.nick, hidden);
    });
    client.on('topic', (e: { nick?: string; channel: string; topic: string; time?: number }) => {
      this.topics.set(e.channel.toLowerCase(), e.topic);
      // Only a change (TOPIC from someone); the topic sent on join is taken when the portal is made.
      const nick = e.nick;
      if (!nick || this.network.isOurNick(nick)) return;
      const event: RemoteEvent = {
        kind: 'topic',
        portal: this.portal(e.channel),
        sender: makeRemoteUser(this.network.id, nick),
        topic: e.topic,
        ...ts(e.time),
      };
      this.heard.queue(() => this.heard.emit(event, nick));
    });
  }

  /** The channel's topic as the bot last heard it (after joining), if any. */
  topicOf(channel: string): string | undefined {
    return this.topics.get(channel.toLowerCase()) || undefined;
  }

  /** Whether the channel is secret, private or invite-only (waiting a little for its 324). */
  isHidden(channel: string): Promise<boolean> {
    return this.flags.isHidden(channel, this.network.bot.inChannelNow(channel.toLowerCase()));
  }

  private askModes(channel: string): void {
    this.flags.forget(channel);
    this.network.bot
      .writeLines([`MODE ${channel}`])
      .catch((err: unknown) =>
        this.sink.log.debug({ err, irc: this.network.id, channel }, 'MODE query not sent'),
      );
  }

  /** The channel was opened or closed (modes): the bot sets the room's join rule. */
  private queueJoinRule(channel: string, by: string, hidden: boolean): void {
    this.heard.queueQuietly({
      kind: 'join-rule',
      portal: this.portal(channel),
      sender: makeRemoteUser(this.network.id, by),
      joinRule: hidden ? 'invite' : 'public',
    });
  }

  private portal(channel: string): PortalKey {
    return makePortalKey(this.network.id, channel);
  }
}
