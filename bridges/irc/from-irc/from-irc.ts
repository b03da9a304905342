/**
 * IRC → Matrix: what the listener (bot) connection hears in bridged channels becomes
 * remote events: PRIVMSG/NOTICE/ACTION → messages, JOIN/PART/QUIT/KICK/NICK → ghost
 * memberships, TOPIC → the room topic, AWAY → the ghost's presence. Our own connections (bot
 * and puppets) are never bridged back. Events are emitted one at a time, in the order IRC
 * delivered them.
 */
import type { MessageEvent } from 'irc-framework';
import type { Logger } from 'pino';
import {
  BridgeError,
  type GhostProfile,
  type MatrixUserId,
  type MessageContent,
  type PortalKey,
  type RemoteEvent,
  type RemoteUserId,
} from '../../../src/connector.js';
import type { IrcNetwork } from '../connection/client.js';
import { levelOf } from '../channels/channel-config.js';
import { ChannelFlags } from '../channels/channel-flags.js';
import { ChannelModes, type ModeChange } from '../channels/modes.js';
import { ircToContent } from '../format/format.js';
import { mentionLookup } from '../format/mentions.js';
import {
  heardMessageId,
  isChannelName,
  makePortalKey,
  makeRemoteUser,
  parseRemoteUser,
} from '../ids.js';
import { typingOf } from '../from-matrix/typing.js';
import { awayChange, GhostPresence } from './presence.js';
import { isNetsplitQuit, SplitHolds, type HeldQuit, type QuitLine } from './netsplit.js';
import { replyTargetOf } from '../format/replies.js';

/** What from-irc needs from the bridge: the parts of BridgeContext it uses, plus which portals exist. */
export interface RemoteSink {
  emit(event: RemoteEvent): Promise<void>;
  setGhostProfile(user: RemoteUserId, profile: GhostProfile): Promise<void>;
  hasPortal(key: PortalKey): boolean;
  /** The remote users whose ghosts are in the portal's room (BridgeContext.portalGhosts). */
  portalGhosts(portal: PortalKey): Promise<RemoteUserId[]>;
  notify(userId: MatrixUserId, text: string): Promise<boolean>;
  log: Logger;
}

export class IrcListener {
  private chain: Promise<void> = Promise.resolve();
  /** Settles when every event emitted so far is stored (or failed and was logged). */
  private stored: Promise<void> = Promise.resolve();
  /** Lowercased channel → lowercased nicks in it (from NAMES, JOIN, PART, KICK, QUIT, NICK). */
  private readonly members = new Map<string, Set<string>>();
  /** Lowercased nick → the nick as IRC last showed it (ghosts' display names keep its case). */
  private readonly cased = new Map<string, string>();
  /** Ghosts whose display name was set in this process: nick as it was last seen. */
  private readonly named = new Map<string, string>();
  /** Lowercased channel → its topic as last heard (on join or a change). */
  private readonly topics = new Map<string, string>();
  /** Whether each channel is secret, private or invite-only (its room too). */
  private readonly channelFlags = new ChannelFlags();
  /** Who holds op, voice, … in each channel: their ghosts' Matrix power levels. */
  private readonly modes: ChannelModes;
  /** Channels whose room was checked for ghosts of users gone while the bridge was down. */
  private readonly swept = new Set<string>();
  /** Checks replayed history against what was bridged (catch-up/), once the connector sets it. */
  catchUp?: { heard(e: MessageEvent): boolean };
  /** Away or back (away-notify): their ghosts' Matrix presence. */
  private readonly presence: GhostPresence;
  /** Ghosts kept in their rooms after a netsplit quit, until their user is back or the grace ends. */
  private readonly holds: SplitHolds;

  constructor(
    private readonly network: IrcNetwork,
    private readonly sink: RemoteSink,
    /** Stores the netsplit holds (they outlive a restart of the bridge). */
    saveHolds?: (holds: HeldQuit[]) => void,
  ) {
    this.holds = new SplitHolds(
      (network.config.netsplit_grace_seconds ?? 0) * 1000,
      (quit) => this.splitQuitExpired(quit),
      saveHolds,
    );
    this.modes = new ChannelModes(() =>
      prefixModes(this.network.bot.client.network.supports('PREFIX')),
    );
    this.presence = new GhostPresence((nick, portal, presence) =>
      this.queue(() =>
        this.emit({ kind: 'presence', portal, sender: this.user(nick), ...presence }, nick),
      ),
    );
  }

  /** Subscribes to the bot connection's events. */
  listen(): void {
    const client = this.network.bot.client;
    const message = (kind: MessageContent['kind']) => (e: MessageEvent) => this.onMessage(e, kind);
    client.on('privmsg', message('text'));
    client.on('notice', message('notice'));
    client.on('action', message('emote'));
    client.on(
      'tagmsg',
      (e: { nick?: string; target: string; tags?: Record<string, string>; time?: number }) => {
        const typing = typingOf(e.tags);
        const nick = e.nick;
        if (typing === undefined || !nick || !isChannelName(e.target) || this.ours(nick)) return;
        if (!this.member(e.target).has(nick.toLowerCase())) return; // its ghost is not in the room
        this.queue(() =>
          this.emit(
            { kind: 'typing', portal: this.portal(e.target), sender: this.user(nick), typing },
            nick,
          ),
        );
      },
    );
    client.on('join', (e: { nick: string; channel: string; time?: number }) => {
      if (this.network.bot.isMe(e.nick)) {
        this.askModes(e.channel);
        this.askAway(e.channel);
      }
      this.member(e.channel).add(e.nick.toLowerCase());
      this.cased.set(e.nick.toLowerCase(), e.nick);
      if (this.ours(e.nick) || this.holds.rejoined(e.nick, e.channel)) return; // a netjoin: still there
      this.queue(() => this.membership(e.channel, e.nick, 'join', e.time));
    });
    client.on('part', (e: { nick: string; channel: string; message?: string; time?: number }) => {
      this.member(e.channel).delete(e.nick.toLowerCase());
      if (this.network.bot.isMe(e.nick)) {
        this.members.delete(e.channel.toLowerCase());
        this.modes.forget(e.channel);
      } else if (!this.ours(e.nick)) {
        this.queue(() => this.membership(e.channel, e.nick, 'leave', e.time, e.message));
        this.dropLevel(e.channel, e.nick);
        this.leftBridged(e.nick, [e.channel]);
      }
    });
    client.on(
      'kick',
      (e: { kicked: string; nick: string; channel: string; message?: string; time?: number }) => {
        this.member(e.channel).delete(e.kicked.toLowerCase());
        if (this.ours(e.kicked)) return this.puppetKicked(e.channel, e.kicked, e.nick, e.message);
        this.dropLevel(e.channel, e.kicked);
        // A kick by one of our puppets was a Matrix user's kick: the ghost is out of the room already.
        if (!this.ours(e.nick)) {
          const actor = makeRemoteUser(this.network.id, e.nick);
          this.queue(() => this.membership(e.channel, e.kicked, 'kick', e.time, e.message, actor));
        }
        this.leftBridged(e.kicked, [e.channel]);
      },
    );
    client.on('quit', (e: QuitLine & { nick: string; time?: number }) => {
      const channels = this.channelsOf(e.nick);
      for (const c of channels) this.member(c).delete(e.nick.toLowerCase());
      if (this.ours(e.nick)) return;
      if (this.holds.enabled && isNetsplitQuit(e)) return this.holdSplitQuit(e.nick, channels, e);
      for (const c of channels) {
        this.queue(() => this.membership(c, e.nick, 'leave', e.time, e.message));
        this.dropLevel(c, e.nick);
      }
      // Offline only for a ghost that was given a presence (why: presence.ts).
      this.leftBridged(e.nick, channels);
    });
    client.on('nick', (e: { nick: string; new_nick: string; time?: number }) => {
      const channels = this.channelsOf(e.nick);
      for (const c of channels) {
        this.member(c).delete(e.nick.toLowerCase());
        this.member(c).add(e.new_nick.toLowerCase());
        this.cased.set(e.new_nick.toLowerCase(), e.new_nick);
      }
      if (this.ours(e.nick) || this.ours(e.new_nick)) return;
      // A new nick is a new ghost (ghost ids are nicks): the old one leaves, the new one joins
      // (unless it is still in the room, held after a netsplit quit of that nick).
      for (const c of channels) {
        this.queue(() => this.membership(c, e.nick, 'leave', e.time, `now known as ${e.new_nick}`));
        if (!this.holds.rejoined(e.new_nick, c))
          this.queue(() => this.membership(c, e.new_nick, 'join', e.time));
        // The new ghost takes the old one's level (one power-levels event for both).
        const level = this.levelIn(c, e.nick);
        this.modes.rename(c, e.nick, e.new_nick);
        if (level > 0)
          this.queueLevels(c, e.new_nick, [
            [e.nick, 0],
            [e.new_nick, level],
          ]);
      }
      this.presence.renamed(e.nick, e.new_nick, this.bridgedPortalOf(e.new_nick));
    });
    // NAMES (on the bot's join, also after a reconnect): who is there now joins, who left meanwhile leaves.
    client.on('userlist', (e: { channel: string; users: { nick: string; modes?: string[] }[] }) => {
      const before = this.members.get(e.channel.toLowerCase()) ?? new Set<string>();
      const now = new Map(e.users.map((u) => [u.nick.toLowerCase(), u.nick]));
      for (const [lower, nick] of now) this.cased.set(lower, nick);
      this.members.set(e.channel.toLowerCase(), new Set(now.keys()));
      this.modes.setNames(e.channel, e.users);
      for (const [lower, nick] of now)
        if (!before.has(lower) && !this.ours(nick) && !this.holds.rejoined(nick, e.channel))
          this.queue(() => this.membership(e.channel, nick, 'join'));
      for (const lower of before) {
        if (now.has(lower) || this.ours(lower)) continue;
        const nick = this.nickOf(this.user(lower)) ?? lower;
        this.queue(() => this.membership(e.channel, nick, 'leave', undefined, 'left meanwhile'));
        this.leftBridged(nick, [e.channel]);
      }
      this.queueAllLevels(e.channel);
      if (!this.swept.has(e.channel.toLowerCase())) this.sweepGone(e.channel, now);
    });
    // A JOIN refused as invite-only (473): the channel is +i (its room is invite-only too).
    client.on('raw', (e: { line: string; from_server: boolean }) => {
      const m = e.from_server ? /^(?:@\S+ )?:\S+ 473 \S+ (\S+)/.exec(e.line) : null;
      if (m) this.channelFlags.refusedAsInviteOnly(m[1]!);
    });
    // WHO's answer (asked at the bot's join): who is away already.
    client.on('wholist', (e: { target: string; users: { nick: string; away?: boolean }[] }) => {
      if (!isChannelName(e.target)) return;
      for (const u of e.users)
        if (!this.ours(u.nick)) this.presence.seen(u.nick, !!u.away, this.bridgedPortalOf(u.nick));
    });
    // Away or back (away-notify): only from AWAY lines, never a 301 answering a message.
    client.on('raw', (e: { line: string; from_server: boolean }) => {
      const away = e.from_server ? awayChange(e.line) : undefined;
      if (away && !this.ours(away.nick))
        this.presence.changed(away.nick, away.presence, this.bridgedPortalOf(away.nick));
    });
    // The channel's modes (324), asked when the bot joins: whether its room is invite-only.
    client.on('channel info', (e: { channel: string; modes?: ModeChange[] }) => {
      if (!e.modes) return; // 329 (creation time) and 328 (URL) come as channel info too
      const hidden = this.channelFlags.learned(e.channel, e.modes);
      // The room follows what the channel is now (it may have changed while the bot was away).
      this.queueJoinRule(e.channel, this.network.bot.nick, hidden);
    });
    // Op, halfop, voice… given or taken: the ghosts' power levels follow, one event per MODE line.
    client.on('mode', (e: { target: string; nick: string; modes: ModeChange[] }) => {
      if (!isChannelName(e.target)) return;
      // +s/+p/+i set or lifted: the room follows (invite-only, or open to anyone again).
      const hidden = this.channelFlags.changed(e.target, e.modes);
      if (hidden !== undefined) this.queueJoinRule(e.target, e.nick, hidden);
      const before = new Map(
        e.modes
          .flatMap((m) => (typeof m.param === 'string' ? [m.param] : []))
          .map((nick) => [nick.toLowerCase(), this.levelIn(e.target, nick)]),
      );
      const changed = this.modes
        .apply(e.target, e.modes)
        .filter((nick) => !this.ours(nick))
        .map((nick): [string, number] => [
          this.cased.get(nick) ?? nick,
          this.levelIn(e.target, nick),
        ])
        .filter(([nick, level]) => before.get(nick.toLowerCase()) !== level);
      if (changed.length) this.queueLevels(e.target, e.nick, changed);
    });
    client.on('topic', (e: { nick?: string; channel: string; topic: string; time?: number }) => {
      this.topics.set(e.channel.toLowerCase(), e.topic);
      // Only a change (TOPIC from someone); the topic sent on join is taken when the portal is made.
      if (!e.nick || this.ours(e.nick)) return;
      const nick = e.nick;
      this.queue(() =>
        this.emit(
          {
            kind: 'topic',
            portal: this.portal(e.channel),
            sender: this.user(nick),
            topic: e.topic,
            ...ts(e.time),
          },
          nick,
        ),
      );
    });
  }

  /**
   * A Matrix user's connection was kicked from a bridged channel: the bridge bot kicks them from
   * the room with IRC's reason (clients show it), and their connection forgets the channel (no
   * rejoin after a reconnect). Joining the room again joins the channel again.
   */
  private puppetKicked(channel: string, nick: string, by: string, reason?: string): void {
    const userId = this.network.puppetOwner(nick);
    if (!userId || !this.sink.hasPortal(this.portal(channel))) return;
    const why = reason && reason !== by ? `: ${reason}` : '';
    this.network.puppet(userId)?.part(channel, 'Kicked on IRC');
    this.queue(async () =>
      this.emitQuietly({
        kind: 'membership',
        portal: this.portal(channel),
        sender: this.user(by),
        membership: 'kick',
        matrixUser: userId,
        reason: `kicked on IRC by ${by}${why}`,
      }),
    );
  }

  /**
   * `nick` quit in a netsplit: gone from the channels (as IRC says), but their ghost stays in the
   * rooms, power level and presence as they were, until they are back or the grace ends.
   */
  private holdSplitQuit(nick: string, channels: string[], quit: QuitLine): void {
    const levels: Record<string, number> = {};
    for (const c of channels) {
      levels[c] = this.levelIn(c, nick);
      this.modes.remove(c, nick); // IRC gives them their modes again when they are back
    }
    this.holds.hold(nick, levels, quit.message ?? '');
  }

  /** The grace after a netsplit quit ended without the user back: their ghost leaves as on a quit. */
  private splitQuitExpired(quit: HeldQuit): void {
    const channels = Object.keys(quit.channels);
    for (const c of channels) {
      this.queue(() => this.membership(c, quit.nick, 'leave', undefined, quit.reason));
      if (quit.channels[c]! > 0) this.queueLevels(c, quit.nick, [[quit.nick, 0]]);
    }
    this.leftBridged(quit.nick, channels);
  }

  /** How many users' ghosts are held for a netsplit now. */
  get heldForNetsplit(): number {
    return this.holds.size;
  }

  /** Netsplit holds stored before a restart: their ghosts are still held for what is left of it. */
  restoreHolds(quits: HeldQuit[]): void {
    this.holds.restore(quits);
  }

  /** The bridge stops: no more timers (the holds stay stored for the next start). */
  stop(): void {
    this.holds.stop();
  }

  /** The nick behind a ghost, as last seen on IRC (with its case), if it was seen in this process. */
  nickOf(user: RemoteUserId): string | undefined {
    return this.named.get(user);
  }

  /**
   * Every IRC user the bot sees in `channel` joins the room, with the presence their ghost has (a
   * room made after the bot joined: what was emitted before it existed was not bridged).
   */
  announceMembers(channel: string): void {
    const lower = channel.toLowerCase();
    for (const nick of this.members.get(lower) ?? []) {
      if (this.ours(nick)) continue;
      const cased = this.nickOf(this.user(nick)) ?? this.cased.get(nick) ?? nick;
      this.queue(() => this.membership(lower, cased, 'join'));
      this.presence.again(cased, this.portal(lower));
    }
    if (this.members.has(lower)) {
      this.queueAllLevels(lower);
      this.askAway(channel); // the bot may have joined before the channel was bridged
    }
  }

  /**
   * The first NAMES of a channel since the bridge started: ghosts still in its room whose users
   * are not in the channel (they left while the bridge was down) leave. Later NAMES lists are
   * compared with what the bot saw instead. Ghosts held for a netsplit stay.
   */
  private sweepGone(channel: string, present: Map<string, string>): void {
    const portal = this.portal(channel);
    if (!this.sink.hasPortal(portal)) return;
    this.swept.add(channel.toLowerCase());
    this.queue(async () => {
      for (const user of await this.sink.portalGhosts(portal)) {
        const who = parseRemoteUser(user);
        if (!who || who.network !== this.network.id || present.has(who.nick)) continue;
        if (this.holds.isHeld(who.nick, channel)) continue;
        await this.membership(
          channel,
          who.nick,
          'leave',
          undefined,
          'left while the bridge was away',
        );
      }
    });
  }

  /** The ghost of `nick` joins the room again, if the bot still sees the nick in `channel`. */
  restoreGhost(channel: string, nick: string): void {
    const lower = channel.toLowerCase();
    if (!this.members.get(lower)?.has(nick.toLowerCase()) || this.ours(nick)) return;
    this.queue(() => this.membership(lower, this.nickOf(this.user(nick)) ?? nick, 'join'));
  }

  /** The Matrix power level the modes of `nick` in `channel` give its ghost. */
  private levelIn(channel: string, nick: string): number {
    return levelOf(this.modes.modesOf(channel, nick), this.network.config.power_levels);
  }

  /** The levels of everyone in the channel (after NAMES), as the whole list: others go back to the default. */
  private queueAllLevels(channel: string): void {
    const levels = this.modes
      .holders(channel)
      .filter((nick) => !this.ours(nick))
      .map((nick): [string, number] => [nick, this.levelIn(channel, nick)])
      .filter(([, level]) => level > 0);
    this.queueLevels(channel, this.network.bot.nick, levels, true);
  }

  /** A user with a level left the channel: their ghost's entry goes (it would outlive their op). */
  private dropLevel(channel: string, nick: string): void {
    const level = this.levelIn(channel, nick);
    this.modes.remove(channel, nick);
    if (level > 0) this.queueLevels(channel, nick, [[nick, 0]]);
  }

  private queueLevels(
    channel: string,
    by: string,
    levels: [nick: string, level: number][],
    complete = false,
  ): void {
    const event: RemoteEvent = {
      kind: 'power-levels',
      portal: this.portal(channel),
      sender: this.user(by),
      levels: levels.map(([nick, level]) => ({ user: this.user(nick), level })),
      ...(complete ? { complete } : {}),
    };
    this.queue(async () => this.emitQuietly(event));
  }

  /** The channel was opened or closed (modes): the bot sets the room's join rule. */
  private queueJoinRule(channel: string, by: string, hidden: boolean): void {
    const event: RemoteEvent = {
      kind: 'join-rule',
      portal: this.portal(channel),
      sender: this.user(by),
      joinRule: hidden ? 'invite' : 'public',
    };
    this.queue(async () => this.emitQuietly(event));
  }

  /** Emits without setting the sender's profile (for what the bot does, not a ghost). */
  private emitQuietly(event: RemoteEvent): void {
    if (!this.sink.hasPortal(event.portal)) return;
    const stored = this.sink.emit(event).catch((err: unknown) => {
      // A channel whose room is still being made (NAMES comes first): portalLinked announces them.
      const level = err instanceof BridgeError && err.code === 'unknown-target' ? 'debug' : 'warn';
      this.sink.log[level](
        { err, irc: this.network.id, portal: event.portal },
        'an IRC event was not bridged',
      );
    });
    this.stored = this.stored.then(() => stored);
  }

  /** Whether the channel is secret, private or invite-only (waiting a little for its 324). */
  isHidden(channel: string): Promise<boolean> {
    return this.channelFlags.isHidden(
      channel,
      this.network.bot.inChannelNow(channel.toLowerCase()),
    );
  }

  /** The bot joined: it asks the channel's modes (answered by 324, `channel info`). */
  private askModes(channel: string): void {
    this.channelFlags.forget(channel);
    this.network.bot
      .writeLines([`MODE ${channel}`])
      .catch((err: unknown) =>
        this.sink.log.debug({ err, irc: this.network.id, channel }, 'MODE query not sent'),
      );
  }

  /**
   * The bot is in a bridged channel: where away-notify reports changes, WHO says who is away
   * already (`wholist`). Not for a channel with no room yet: nobody would be told.
   */
  private askAway(channel: string): void {
    if (!this.network.bot.client.network.cap.enabled.includes('away-notify')) return;
    if (!this.sink.hasPortal(this.portal(channel))) return;
    this.network.bot
      .writeLines([`WHO ${channel}`])
      .catch((err: unknown) =>
        this.sink.log.debug({ err, irc: this.network.id, channel }, 'WHO not sent'),
      );
  }

  /** The bridge bot says `text` in the channel's room (after what was heard before it). */
  say(channel: string, text: string): void {
    const event: RemoteEvent = {
      kind: 'bridge-notice',
      portal: this.portal(channel),
      sender: this.user(this.network.bot.nick),
      text,
    };
    this.queue(async () => this.emitQuietly(event));
  }

  /**
   * Users whose lines from the channel's history were bridged (their ghosts joined the room to
   * say them) but who are not in the channel now leave the room again.
   */
  leaveIfGone(channel: string, nicks: string[]): void {
    for (const nick of nicks)
      if (
        !this.member(channel).has(nick.toLowerCase()) &&
        !this.ours(nick) &&
        !this.holds.isHeld(nick, channel)
      )
        this.queue(() =>
          this.membership(channel, nick, 'leave', undefined, 'left while the bridge was away'),
        );
  }

  /** The channel's topic as the bot last heard it (after joining), if any. */
  topicOf(channel: string): string | undefined {
    return this.topics.get(channel.toLowerCase()) || undefined;
  }

  /** Waits until everything heard so far is stored by core (tests, shutdown). */
  async idle(): Promise<void> {
    await this.chain;
    await this.stored;
  }

  private onMessage(e: MessageEvent, kind: MessageContent['kind']): void {
    if (e.from_server || !e.nick || !isChannelName(e.target) || this.ours(e.nick)) return;
    if (this.catchUp && !this.catchUp.heard(e)) return; // replayed history bridged before
    const id = heardMessageId(e.tags);
    const replyTo = replyTargetOf(e.tags);
    const content = ircToContent(
      e.message,
      kind,
      mentionLookup(this.network, (n) => this.nickOf(this.user(n)) !== undefined),
    );
    const nick = e.nick;
    this.queue(() =>
      this.emit(
        {
          kind: 'message',
          portal: this.portal(e.target),
          sender: this.user(nick),
          id,
          content,
          ...(replyTo ? { replyTo } : {}),
          ...ts(e.time),
        },
        nick,
      ),
    );
  }

  private membership(
    channel: string,
    nick: string,
    membership: 'join' | 'leave' | 'kick',
    time?: number,
    reason?: string,
    actor?: RemoteUserId,
  ): Promise<void> {
    const event: RemoteEvent = {
      kind: 'membership',
      portal: this.portal(channel),
      sender: this.user(nick),
      membership,
      ...(reason ? { reason } : {}),
      ...(actor ? { actor } : {}),
      ...ts(time),
    };
    return this.emit(event, nick);
  }

  /**
   * Hands the event to core without waiting for it to be stored: core keeps the order of emits,
   * so a burst from IRC is stored in a few group commits instead of one commit per line.
   */
  private async emit(event: RemoteEvent, nick: string): Promise<void> {
    if (!this.sink.hasPortal(event.portal)) return; // a channel no Matrix room is bridged to
    const key = event.sender as string;
    if (this.named.get(key) !== nick) {
      await this.sink.setGhostProfile(event.sender, { displayName: nick });
      this.named.set(key, nick);
    }
    this.emitQuietly(event);
  }

  private queue(task: () => Promise<void>): void {
    this.chain = this.chain
      .then(task)
      .catch((err: unknown) =>
        this.sink.log.warn({ err, irc: this.network.id }, 'an IRC event was not bridged'),
      );
  }

  private ours(nick: string): boolean {
    return this.network.isOurNick(nick);
  }

  private portal(channel: string): PortalKey {
    return makePortalKey(this.network.id, channel);
  }

  private user(nick: string): RemoteUserId {
    return makeRemoteUser(this.network.id, nick);
  }

  private member(channel: string): Set<string> {
    const key = channel.toLowerCase();
    let set = this.members.get(key);
    if (!set) this.members.set(key, (set = new Set()));
    return set;
  }

  /** A bridged channel (one with a room) `nick` is in, as the bot sees it. */
  private bridgedPortalOf(nick: string): PortalKey | undefined {
    return this.channelsOf(nick)
      .map((c) => this.portal(c))
      .find((p) => this.sink.hasPortal(p));
  }

  /** `nick` left `channels`: when no bridged one is left, their ghost's presence goes offline. */
  private leftBridged(nick: string, channels: string[]): void {
    if (!this.presence.isGiven(nick)) return; // most users: no scan of the channels
    const last = channels.map((c) => this.portal(c)).find((p) => this.sink.hasPortal(p));
    if (last && !this.bridgedPortalOf(nick)) this.presence.gone(nick, last);
  }

  private channelsOf(nick: string): string[] {
    const lower = nick.toLowerCase();
    return [...this.members].filter(([, nicks]) => nicks.has(lower)).map(([channel]) => channel);
  }
}

/** The mode letters of ISUPPORT PREFIX as irc-framework keeps it (`[{ symbol: '@', mode: 'o' }, …]`). */
function prefixModes(prefix: unknown): string[] | undefined {
  if (!Array.isArray(prefix) || prefix.length === 0) return undefined;
  return prefix
    .map((p: unknown) => (p as { mode?: unknown } | null)?.mode)
    .filter((m): m is string => typeof m === 'string');
}

const ts = (time?: number) =>
  typeof time === 'number' && Number.isFinite(time) ? { timestamp: time } : {};
