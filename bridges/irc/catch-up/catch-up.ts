/**
 * Catch-up: when the bot (re)joins a channel after being away (a restart of the bridge, a
 * reconnect), what the channel said meanwhile is bridged from the server's history, in order and
 * with its original time, without doubling what was bridged before; where the server has none,
 * the room is told that the bridge was away from when to when.
 *
 * Two sources of history:
 * - IRCv3 `draft/chathistory` (Ergo…): the bot asks `CHATHISTORY AFTER <channel>
 *   timestamp=<last bridged>` and pages on while an answer is full;
 * - InspIRCd's `chanhistory` module: a channel with mode `+H <lines>:<period>` replays its last
 *   lines to whoever joins, in a `chathistory` batch (with the `batch` cap).
 * Replayed lines are checked against what was bridged (msgid, server-time: marks.ts) and lines of
 * our own puppets are dropped; core also drops a msgid it has bridged before.
 */
import type { MessageEvent, IrcLine } from 'irc-framework';
import type { Logger } from 'pino';
import type { IrcConnection } from '../connection/connection.js';
import type { ModeChange } from '../channels/modes.js';
import type { ChannelMarks } from './marks.js';
import { awayNotice, historyWindowMs, isoTime } from './notice.js';

/** How long after the bot's join the server's replay (or its CHATHISTORY answer) is waited for. */
export const HISTORY_WAIT_MS = 3_000;
/** How often the bot's presence in its channels is written down (a crash loses at most this). */
const SEEN_EVERY_MS = 60_000;
/** CHATHISTORY pages asked for at most per join. */
const MAX_PAGES = 10;

export interface CatchUpConfig {
  /** A gap shorter than this gets no notice (0: every gap that history does not cover). */
  away_notice_seconds: number;
  /** Lines asked for per CHATHISTORY request (the server's own limit applies when smaller). */
  history_limit: number;
}

export interface CatchUpDeps {
  /** Whether the channel has a Matrix room. */
  hasPortal(channel: string): boolean;
  /** Says `text` in the channel's room as the bridge bot (queued after what was heard before). */
  say(channel: string, text: string): void;
  log: Logger;
  now?: () => number;
  /**
   * These nicks' replayed lines were bridged (their ghosts joined the room to say them): those
   * no longer in the channel leave again.
   */
  spoke?(channel: string, nicks: string[]): void;
  /** A replayed history line was bridged, or dropped as bridged before (metrics). */
  onReplayed?(outcome: 'bridged' | 'duplicate'): void;
  /** The room was told the bridge was away (metrics). */
  onAwayNotice?(): void;
}

interface Pending {
  joinedAt: number;
  awaySince?: number;
  lastTime?: number;
  timer?: NodeJS.Timeout;
  /** Lines the history gave, and the oldest line's server-time. */
  lines: number;
  oldest?: number;
  /** Asked with CHATHISTORY (complete unless the pages ran out). */
  asked: boolean;
  pages: number;
  complete: boolean;
}

type Batch = { type?: string; params?: string[]; commands?: IrcLine[] };

export class CatchUp {
  private readonly pending = new Map<string, Pending>();
  /** Channels the bot is in now (lowercased). */
  private readonly present = new Set<string>();
  /** Channel → nicks whose replayed lines were bridged in the batch being handed over. */
  private readonly speakers = new Map<string, Set<string>>();
  /** Channel → the `+H` history window (ms) InspIRCd keeps, from its modes. */
  private readonly windows = new Map<string, number>();
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly network: { id: string; bot: IrcConnection },
    private readonly marks: ChannelMarks,
    private readonly config: CatchUpConfig,
    private readonly deps: CatchUpDeps,
  ) {}

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  listen(): void {
    const bot = this.network.bot;
    const client = bot.client;
    client.on('join', (e: { nick: string; channel: string; hostname?: string }) => {
      if (!bot.isMe(e.nick)) return;
      // A connection the pool held (`pool.redis`) and the bridge re-attached to after a restart
      // never left the channel (its JOIN is the pool's, host `pool`): what IRC said meanwhile
      // waited in the pool's stream and comes now. Nothing to catch up.
      if (e.hostname === 'pool') this.stillThere(e.channel);
      else this.botJoined(e.channel);
    });
    const left = (channel: string) => {
      const lower = channel.toLowerCase();
      if (this.present.delete(lower)) this.marks.seen(lower, this.now());
      this.settle(lower, false);
    };
    client.on(
      'part',
      (e: { nick: string; channel: string }) => bot.isMe(e.nick) && left(e.channel),
    );
    client.on('kick', (e: { kicked: string; channel: string }) => {
      if (bot.isMe(e.kicked)) left(e.channel);
    });
    client.on('socket close', () => {
      for (const channel of [...this.present]) left(channel);
      for (const channel of [...this.pending.keys()]) this.settle(channel, false);
    });
    client.on('batch end chathistory', (e: Batch) => this.historyBatch(e));
    client.on('channel info', (e: { channel: string; modes?: ModeChange[] }) => {
      const h = e.modes?.find((m) => m.mode === '+H');
      const window = h ? historyWindowMs(h.param) : undefined;
      if (window !== undefined) this.windows.set(e.channel.toLowerCase(), window);
    });
    client.on('mode', (e: { target: string; modes: ModeChange[] }) => {
      for (const m of e.modes) {
        if (m.mode === '-H') this.windows.delete(e.target.toLowerCase());
        const window = m.mode === '+H' ? historyWindowMs(m.param) : undefined;
        if (window !== undefined) this.windows.set(e.target.toLowerCase(), window);
      }
    });
    this.heartbeat = setInterval(() => this.markPresent(), SEEN_EVERY_MS);
    this.heartbeat.unref();
  }

  /** Remembers the nicks a puppet holds: its lines in a replay after a restart are ours. */
  watchPuppet(puppet: IrcConnection): void {
    puppet.client.on('registered', (e: { nick: string }) => this.marks.ourNick(e.nick));
    puppet.client.on('nick', (e: { new_nick: string }) => {
      if (puppet.isMe(e.new_nick)) this.marks.ourNick(e.new_nick);
    });
  }

  /**
   * A channel message from someone else than our connections: whether to bridge it. Replayed
   * history already bridged (or said by one of our puppets before a restart) is not.
   */
  heard(e: MessageEvent): boolean {
    const channel = e.target.toLowerCase();
    const msgid = e.tags?.msgid;
    if (e.batch?.type?.toLowerCase() === 'chathistory') {
      const fresh = this.fresh(e, channel, msgid);
      this.deps.onReplayed?.(fresh ? 'bridged' : 'duplicate');
      if (!fresh) return false;
      let nicks = this.speakers.get(channel);
      if (!nicks) this.speakers.set(channel, (nicks = new Set()));
      nicks.add(e.nick);
    }
    this.marks.bridged(channel, msgid, e.time, this.now());
    return true;
  }

  /** Whether a replayed line is new: not bridged before, nor said by one of our puppets. */
  private fresh(e: MessageEvent, channel: string, msgid: string | undefined): boolean {
    if (this.marks.wasOurNick(e.nick)) return false;
    if (msgid && this.marks.hasMsgid(channel, msgid)) return false;
    const last = this.marks.get(channel)?.time;
    if (last !== undefined && e.time !== undefined) {
      // Replays carry whole seconds on InspIRCd: only a line of an earlier second is surely old.
      if (e.time < last - (last % 1000)) return false;
      if (!msgid && e.time <= last) return false;
    }
    return true;
  }

  /** The bridge stops: the bot's presence is written down now. */
  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.markPresent();
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    await this.marks.save();
  }

  /**
   * The bot is in its channels now: written down, except where it is still catching up after a
   * gap (the gap's start stays, should the bridge stop again before that ends).
   */
  private markPresent(): void {
    const now = this.now();
    for (const channel of this.present)
      if (this.pending.get(channel)?.awaySince === undefined) this.marks.seen(channel, now);
  }

  private stillThere(channel: string): void {
    const lower = channel.toLowerCase();
    this.present.add(lower);
    this.settle(lower, false);
    this.marks.seen(lower, this.now());
  }

  private botJoined(channel: string): void {
    const lower = channel.toLowerCase();
    this.present.add(lower);
    const mark = this.marks.get(lower);
    const p: Pending = {
      joinedAt: this.now(),
      ...(mark?.seen !== undefined ? { awaySince: mark.seen } : {}),
      ...(mark?.time !== undefined ? { lastTime: mark.time } : {}),
      lines: 0,
      asked: false,
      pages: 0,
      complete: false,
    };
    const old = this.pending.get(lower);
    if (old) clearTimeout(old.timer);
    this.pending.set(lower, p);
    const since = mark?.time ?? mark?.seen;
    if (since !== undefined && this.offersChathistory()) {
      p.asked = true;
      this.ask(channel, since);
    }
    p.timer = setTimeout(() => this.settle(lower, true), HISTORY_WAIT_MS);
    p.timer.unref();
  }

  private offersChathistory(): boolean {
    const net = this.network.bot.client.network;
    return net.cap.enabled.includes('draft/chathistory') || !!net.supports('CHATHISTORY');
  }

  private limit(): number {
    const server = Number(this.network.bot.client.network.supports('CHATHISTORY'));
    const mine = this.config.history_limit;
    return Number.isFinite(server) && server > 0 ? Math.min(server, mine) : mine;
  }

  private ask(channel: string, after: number): void {
    const line = `CHATHISTORY AFTER ${channel} timestamp=${isoTime(after)} ${this.limit()}`;
    this.network.bot
      .writeLines([line])
      .catch((err: unknown) =>
        this.deps.log.debug({ err, irc: this.network.id, channel }, 'CHATHISTORY not sent'),
      );
  }

  /** A `chathistory` batch ended: a replay on join, or the answer to our CHATHISTORY. */
  private historyBatch(e: Batch): void {
    const channel = e.params?.[0]?.toLowerCase();
    const spoke = channel === undefined ? undefined : this.speakers.get(channel);
    if (channel !== undefined && spoke) {
      this.speakers.delete(channel);
      this.deps.spoke?.(channel, [...spoke]);
    }
    const p = channel === undefined ? undefined : this.pending.get(channel);
    if (!channel || !p) return;
    const lines = (e.commands ?? []).filter(
      (c) => c.command === 'PRIVMSG' || c.command === 'NOTICE',
    );
    const times = lines.map((c) => Date.parse(c.tags?.time ?? '')).filter(Number.isFinite);
    p.lines += lines.length;
    const oldest = times.length ? Math.min(...times) : undefined;
    if (oldest !== undefined && (p.oldest === undefined || oldest < p.oldest)) p.oldest = oldest;
    if (!p.asked) return this.settle(channel, true); // InspIRCd's replay: all there is
    p.pages++;
    const newest = times.length ? Math.max(...times) : undefined;
    if (lines.length >= this.limit() && newest !== undefined && p.pages < MAX_PAGES) {
      if (p.timer) p.timer.refresh();
      return this.ask(channel, newest);
    }
    p.complete = lines.length < this.limit();
    this.settle(channel, true);
  }

  /** The history (if any) is in: the room is told of a gap nothing covers. */
  private settle(channel: string, present: boolean): void {
    const p = this.pending.get(channel);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(channel);
    if (!present) return;
    this.marks.seen(channel, this.now());
    if (p.awaySince === undefined || !this.deps.hasPortal(channel)) return;
    const gapMs = p.joinedAt - p.awaySince;
    if (gapMs <= 0 || gapMs < this.config.away_notice_seconds * 1000) return;
    const covered = this.coveredUntil(channel, p);
    if (covered === 'all') return;
    const text = awayNotice(p.awaySince, p.joinedAt, covered);
    this.deps.log.info(
      { irc: this.network.id, channel, awaySince: p.awaySince, back: p.joinedAt },
      'the bridge was away from a channel and its history does not cover it all: said so in the room',
    );
    this.deps.say(channel, text);
    this.deps.onAwayNotice?.();
  }

  /**
   * How much of the gap the history covered: `all`; the time of the oldest line a replay gave
   * (what was said before it is missing); `partial` (CHATHISTORY pages ran out); undefined: nothing.
   */
  private coveredUntil(channel: string, p: Pending): 'all' | 'partial' | number | undefined {
    if (p.asked && p.complete) return 'all';
    if (p.lines > 0 && p.oldest !== undefined) {
      // A replay that reaches back to what was bridged (or to before the bridge left) covers it.
      const floor = (t: number) => t - (t % 1000);
      if (p.lastTime !== undefined && p.oldest <= p.lastTime) return 'all';
      if (p.awaySince !== undefined && p.oldest <= floor(p.awaySince)) return 'all';
      if (p.asked) return 'partial'; // pages ran out: what came after them is missing
      return p.oldest;
    }
    // No replay from a channel that keeps history over the whole gap: nothing was said.
    const window = this.windows.get(channel);
    if (
      !p.asked &&
      window !== undefined &&
      p.awaySince !== undefined &&
      p.joinedAt - p.awaySince <= window
    )
      return 'all';
    return undefined;
  }
}
