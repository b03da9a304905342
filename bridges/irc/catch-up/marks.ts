/**
 * What catch-up remembers per channel, stored in the bridge's kv (`catch-up:<network>`): the
 * server-time and msgids of the last messages bridged from it, and until when the bot was last
 * known to be in it; plus the nicks the bridge's own puppets held (their lines in a history
 * replay are not bridged back). Written at most once a second, and at stop.
 */
import type { KeyValueStore } from '../../../src/connector.js';

/** How many recent msgids are kept per channel (a replay is checked against them). */
const MSGIDS_KEPT = 10;
/** How many of our puppets' nicks are kept (the newest). */
const NICKS_KEPT = 5_000;
const SAVE_DELAY_MS = 1_000;

export interface ChannelMark {
  /** Server-time (ms) of the last message bridged from the channel. */
  time?: number;
  /** Msgids of the last messages bridged (newest last). */
  msgids: string[];
  /** Until when (ms) the bot was last known to be in the channel. */
  seen?: number;
}

interface Stored {
  channels: Record<string, ChannelMark>;
  nicks: string[];
}

export const catchUpKey = (network: string) => `catch-up:${network}`;

export class ChannelMarks {
  private readonly channels = new Map<string, ChannelMark>();
  private readonly nicks = new Set<string>();
  private timer?: NodeJS.Timeout;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly kv: Pick<KeyValueStore, 'get' | 'set'>,
    private readonly network: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  async load(): Promise<void> {
    const stored = await this.kv.get<Partial<Stored>>(catchUpKey(this.network));
    for (const [channel, mark] of Object.entries(stored?.channels ?? {})) {
      if (!mark || typeof mark !== 'object') continue;
      this.channels.set(channel, {
        ...(typeof mark.time === 'number' ? { time: mark.time } : {}),
        msgids: Array.isArray(mark.msgids) ? mark.msgids.filter((m) => typeof m === 'string') : [],
        ...(typeof mark.seen === 'number' ? { seen: mark.seen } : {}),
      });
    }
    for (const nick of stored?.nicks ?? []) if (typeof nick === 'string') this.nicks.add(nick);
  }

  get(channel: string): ChannelMark | undefined {
    return this.channels.get(channel.toLowerCase());
  }

  private mark(channel: string): ChannelMark {
    const key = channel.toLowerCase();
    let mark = this.channels.get(key);
    if (!mark) this.channels.set(key, (mark = { msgids: [] }));
    return mark;
  }

  /** A message from the channel was bridged (handed to core). */
  bridged(channel: string, msgid: string | undefined, time: number | undefined, now: number): void {
    const mark = this.mark(channel);
    if (time !== undefined && (mark.time === undefined || time > mark.time)) mark.time = time;
    if (msgid) {
      mark.msgids.push(msgid);
      if (mark.msgids.length > MSGIDS_KEPT) mark.msgids.splice(0, mark.msgids.length - MSGIDS_KEPT);
    }
    mark.seen = now;
    this.later();
  }

  /** The bot is in the channel now. */
  seen(channel: string, now: number): void {
    this.mark(channel).seen = now;
    this.later();
  }

  hasMsgid(channel: string, msgid: string): boolean {
    return this.get(channel)?.msgids.includes(msgid) ?? false;
  }

  /** A nick one of our puppets held. */
  ourNick(nick: string): void {
    const lower = nick.toLowerCase();
    if (this.nicks.has(lower)) return;
    this.nicks.add(lower);
    if (this.nicks.size > NICKS_KEPT) this.nicks.delete(this.nicks.values().next().value!);
    this.later();
  }

  wasOurNick(nick: string): boolean {
    return this.nicks.has(nick.toLowerCase());
  }

  private later(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.save();
    }, SAVE_DELAY_MS);
    this.timer.unref();
  }

  /** Writes the marks now (and waits for earlier writes). */
  save(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const value: Stored = {
      channels: Object.fromEntries(this.channels),
      nicks: [...this.nicks],
    };
    this.saving = this.saving
      .then(() => this.kv.set(catchUpKey(this.network), value))
      .catch(this.onError);
    return this.saving;
  }
}
