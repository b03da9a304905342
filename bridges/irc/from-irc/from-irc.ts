/**
 * IRC → Matrix: what the listener (bot) connection hears in bridged channels becomes
 * remote events: PRIVMSG/NOTICE/ACTION → messages, JOIN/PART/QUIT/KICK/NICK → ghost
 * memberships, TOPIC → the room topic, AWAY → the ghost's presence. Our own connections (bot
 * and puppets) are never bridged back. Events are emitted one at a time, in the order IRC
 * delivered them (emitter.ts); who is where is roster.ts, power levels levels.ts, topics and
 * join rules channel-state.ts, the events of what is said said.ts, of memberships
 * membership-event.ts.
 */
import type { MessageEvent } from 'irc-framework';
import type { MessageContent, PortalKey, RemoteUserId } from '../../../src/connector.js';
import type { IrcNetwork } from '../connection/client.js';
import type { ModeChange } from '../channels/modes.js';
import { typingOf } from '../from-matrix/typing.js';
import { isChannelName, makePortalKey, makeRemoteUser, parseRemoteUser } from '../ids.js';
import { ChannelState } from './channel-state.js';
import { HeardEvents, type RemoteSink } from './emitter.js';
import { GhostLevels } from './levels.js';
import { at, AWAY, membershipEvent, type Membership, type Why } from './membership-event.js';
import { isNetsplitQuit, SplitHolds, type HeldQuit, type QuitLine } from './netsplit.js';
import { awayChange, GhostPresence } from './presence.js';
import { ChannelRoster } from './roster.js';
import { refusedRef } from './refusals.js';
import { saidMessage, saidTyping } from './said.js';

export type { RemoteSink } from './emitter.js';

export class IrcListener {
  private readonly heard: HeardEvents;
  private readonly roster = new ChannelRoster();
  private readonly levels: GhostLevels;
  private readonly channels: ChannelState;
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
    this.heard = new HeardEvents(sink, network.id);
    this.levels = new GhostLevels(network, this.heard);
    this.channels = new ChannelState(network, sink, this.heard);
    this.holds = new SplitHolds(
      (network.config.netsplit_grace_seconds ?? 0) * 1000,
      (quit) => this.splitQuitExpired(quit),
      saveHolds,
    );
    this.presence = new GhostPresence((nick, portal, presence) =>
      this.heard.queue(() =>
        this.heard.emit({ kind: 'presence', portal, sender: this.user(nick), ...presence }, nick),
      ),
    );
  }

  /** Subscribes to the bot connection's events. */
  listen(): void {
    const client = this.network.bot.client;
    this.channels.listen(client);
    const message = (kind: MessageContent['kind']) => (e: MessageEvent) => this.onMessage(e, kind);
    client.on('privmsg', message('text'));
    client.on('notice', message('notice'));
    client.on('action', message('emote'));
    client.on('tagmsg', (e: { nick?: string; target: string; tags?: Record<string, string> }) => {
      const typing = typingOf(e.tags);
      const nick = e.nick;
      if (typing === undefined || !nick || !isChannelName(e.target) || this.ours(nick)) return;
      if (!this.roster.has(e.target, nick)) return; // its ghost is not in the room
      const event = saidTyping(this.network.id, e.target, nick, typing);
      this.heard.queue(() => this.heard.emit(event, nick));
    });
    client.on('join', (e: { nick: string; channel: string; time?: number }) => {
      if (this.network.bot.isMe(e.nick)) this.askAway(e.channel);
      this.roster.joined(e.channel, e.nick);
      if (this.ours(e.nick) || this.holds.rejoined(e.nick, e.channel)) return; // a netjoin: still there
      this.membership(e.channel, e.nick, 'join', at(e));
    });
    client.on('part', (e: { nick: string; channel: string; message?: string; time?: number }) => {
      this.roster.left(e.channel, e.nick);
      if (this.network.bot.isMe(e.nick)) {
        this.roster.forget(e.channel);
        this.levels.forget(e.channel);
      } else if (!this.ours(e.nick)) this.gone(e.nick, [e.channel], at(e));
    });
    client.on(
      'kick',
      (e: { kicked: string; nick: string; channel: string; message?: string; time?: number }) => {
        this.roster.left(e.channel, e.kicked);
        if (this.ours(e.kicked)) return this.puppetKicked(e.channel, e.kicked, e.nick, e.message);
        this.levels.drop(e.channel, e.kicked);
        // A kick by one of our puppets was a Matrix user's kick: the ghost is out of the room already.
        if (!this.ours(e.nick))
          this.membership(e.channel, e.kicked, 'kick', { ...at(e), actor: this.user(e.nick) });
        this.leftBridged(e.kicked, [e.channel]);
      },
    );
    client.on('quit', (e: QuitLine & { nick: string; time?: number }) => {
      const channels = this.roster.quit(e.nick);
      if (this.ours(e.nick)) return;
      if (this.holds.enabled && isNetsplitQuit(e)) return this.holdSplitQuit(e.nick, channels, e);
      this.gone(e.nick, channels, at(e));
    });
    client.on('nick', (e: { nick: string; new_nick: string; time?: number }) => {
      const channels = this.roster.renamed(e.nick, e.new_nick);
      if (this.ours(e.nick) || this.ours(e.new_nick)) return;
      // A new nick is a new ghost (ghost ids are nicks): the old one leaves, the new one joins
      // (unless it is still in the room, held after a netsplit quit of that nick).
      for (const c of channels) {
        this.membership(c, e.nick, 'leave', { ...at(e), reason: `now known as ${e.new_nick}` });
        if (!this.holds.rejoined(e.new_nick, c)) this.membership(c, e.new_nick, 'join', at(e));
        this.levels.renamed(c, e.nick, e.new_nick);
      }
      this.presence.renamed(e.nick, e.new_nick, this.bridgedPortalOf(e.new_nick));
    });
    // NAMES (on the bot's join, also after a reconnect): who is there now joins, who left meanwhile leaves.
    client.on('userlist', (e: { channel: string; users: { nick: string; modes?: string[] }[] }) => {
      const { before, now } = this.roster.names(
        e.channel,
        e.users.map((u) => u.nick),
      );
      this.levels.names(e.channel, e.users);
      for (const [lower, nick] of now)
        if (!before.has(lower) && !this.ours(nick) && !this.holds.rejoined(nick, e.channel))
          this.membership(e.channel, nick, 'join');
      for (const lower of before) {
        if (now.has(lower) || this.ours(lower)) continue;
        const nick = this.heard.nickOf(this.user(lower)) ?? lower;
        this.membership(e.channel, nick, 'leave', { reason: 'left meanwhile' });
        this.leftBridged(nick, [e.channel]);
      }
      this.levels.queueAll(e.channel);
      if (!this.swept.has(e.channel.toLowerCase())) this.sweepGone(e.channel, now);
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
    // Op, halfop, voice… given or taken: the ghosts' power levels follow, one event per MODE line.
    client.on('mode', (e: { target: string; nick: string; modes: ModeChange[] }) => {
      if (!isChannelName(e.target)) return;
      this.levels.changed(e.target, e.nick, e.modes, (n) => this.roster.casedNick(n) ?? n);
    });
  }

  /** `nick` parted or quit `channels`: their ghost leaves, with its level and (last) presence. */
  private gone(nick: string, channels: string[], why: Why): void {
    for (const c of channels) {
      this.membership(c, nick, 'leave', why);
      this.levels.drop(c, nick);
    }
    // Offline only for a ghost that was given a presence (why: presence.ts).
    this.leftBridged(nick, channels);
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
    this.heard.queueQuietly({
      kind: 'membership',
      portal: this.portal(channel),
      sender: this.user(by),
      membership: 'kick',
      matrixUser: userId,
      reason: `kicked on IRC by ${by}${why}`,
    });
  }

  /**
   * `nick` quit in a netsplit: gone from the channels (as IRC says), but their ghost stays in the
   * rooms, power level and presence as they were, until they are back or the grace ends.
   */
  private holdSplitQuit(nick: string, channels: string[], quit: QuitLine): void {
    const levels: Record<string, number> = {};
    // IRC gives them their modes again when they are back.
    for (const c of channels) levels[c] = this.levels.take(c, nick);
    this.holds.hold(nick, levels, quit.message ?? '');
  }

  /** The grace after a netsplit quit ended without the user back: their ghost leaves as on a quit. */
  private splitQuitExpired(quit: HeldQuit): void {
    const channels = Object.keys(quit.channels);
    for (const c of channels) {
      this.membership(c, quit.nick, 'leave', { reason: quit.reason });
      if (quit.channels[c]! > 0) this.levels.queue(c, quit.nick, [[quit.nick, 0]]);
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
    return this.heard.nickOf(user);
  }

  /**
   * Every IRC user the bot sees in `channel` joins the room, with the presence their ghost has (a
   * room made after the bot joined: what was emitted before it existed was not bridged).
   */
  announceMembers(channel: string): void {
    const lower = channel.toLowerCase();
    for (const nick of this.roster.nicksIn(lower)) {
      if (this.ours(nick)) continue;
      const cased = this.nickOf(this.user(nick)) ?? this.roster.casedNick(nick) ?? nick;
      this.membership(lower, cased, 'join');
      this.presence.again(cased, this.portal(lower));
    }
    if (this.roster.knows(lower)) {
      this.levels.queueAll(lower);
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
    this.heard.queue(async () => {
      for (const user of await this.sink.portalGhosts(portal)) {
        const who = parseRemoteUser(user);
        if (!who || who.network !== this.network.id || present.has(who.nick)) continue;
        if (this.holds.isHeld(who.nick, channel)) continue;
        await this.heard.emit(
          membershipEvent(this.network.id, channel, who.nick, 'leave', AWAY),
          who.nick,
        );
      }
    });
  }

  /** The ghost of `nick` joins the room again, if the bot still sees the nick in `channel`. */
  restoreGhost(channel: string, nick: string): void {
    if (!this.roster.has(channel, nick) || this.ours(nick)) return;
    this.membership(channel.toLowerCase(), this.nickOf(this.user(nick)) ?? nick, 'join');
  }

  /** Whether the channel is secret, private or invite-only (waiting a little for its 324). */
  isHidden(channel: string): Promise<boolean> {
    return this.channels.isHidden(channel);
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
    this.heard.queueQuietly({
      kind: 'bridge-notice',
      portal: this.portal(channel),
      sender: this.user(this.network.bot.nick),
      text,
    });
  }

  /**
   * Users whose lines from the channel's history were bridged (their ghosts joined the room to
   * say them) but who are not in the channel now leave the room again.
   */
  leaveIfGone(channel: string, nicks: string[]): void {
    for (const nick of nicks)
      if (!this.roster.has(channel, nick) && !this.ours(nick) && !this.holds.isHeld(nick, channel))
        this.membership(channel, nick, 'leave', AWAY);
  }

  /** The channel's topic as the bot last heard it (after joining), if any. */
  topicOf(channel: string): string | undefined {
    return this.channels.topicOf(channel);
  }

  /** Waits until everything heard so far is stored by core (tests, shutdown). */
  idle(): Promise<void> {
    return this.heard.idle();
  }

  private onMessage(e: MessageEvent, kind: MessageContent['kind']): void {
    if (e.from_server || !e.nick || !isChannelName(e.target) || this.ours(e.nick)) return;
    if (this.catchUp && !this.catchUp.heard(e)) return; // replayed history bridged before
    const event = saidMessage(
      this.network,
      e,
      e.nick,
      kind,
      (n) => this.heard.nickOf(this.user(n)) !== undefined,
    );
    const nick = e.nick;
    // Matrix refusing it for good is told to the sender (refusals.ts).
    const ref = refusedRef(this.network.id, nick, e.target);
    this.heard.queue(() => this.heard.emit(event, nick, ref));
  }

  /** Queues a membership change of `nick`'s ghost. */
  private membership(channel: string, nick: string, membership: Membership, why: Why = {}): void {
    const event = membershipEvent(this.network.id, channel, nick, membership, why);
    this.heard.queue(() => this.heard.emit(event, nick));
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

  /** A bridged channel (one with a room) `nick` is in, as the bot sees it. */
  private bridgedPortalOf(nick: string): PortalKey | undefined {
    return this.roster
      .channelsOf(nick)
      .map((c) => this.portal(c))
      .find((p) => this.sink.hasPortal(p));
  }

  /** `nick` left `channels`: when no bridged one is left, their ghost's presence goes offline. */
  private leftBridged(nick: string, channels: string[]): void {
    if (!this.presence.isGiven(nick)) return; // most users: no scan of the channels
    const last = channels.map((c) => this.portal(c)).find((p) => this.sink.hasPortal(p));
    if (last && !this.bridgedPortalOf(nick)) this.presence.gone(nick, last);
  }
}
