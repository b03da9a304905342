/**
 * Op, halfop, voice… in bridged channels become their ghosts' Matrix power levels (the levels
 * each mode gives come from the network's `power_levels`): one power-levels event per MODE line,
 * per nick change of a user with a level, and the whole list after NAMES.
 */
import type { RemoteEvent } from '../../../src/connector.js';
import { levelOf } from '../channels/channel-config.js';
import { ChannelModes, type ModeChange } from '../channels/modes.js';
import type { IrcNetwork } from '../connection/client.js';
import { makePortalKey, makeRemoteUser } from '../ids.js';
import type { HeardEvents } from './emitter.js';

export class GhostLevels {
  /** Who holds op, voice, … in each channel. */
  private readonly modes: ChannelModes;

  constructor(
    private readonly network: IrcNetwork,
    private readonly heard: HeardEvents,
  ) {
    this.modes = new ChannelModes(() =>
      prefixModes(this.network.bot.client.network.supports('PREFIX')),
    );
  }

  /** The Matrix power level the modes of `nick` in `channel` give its ghost. */
  levelIn(channel: string, nick: string): number {
    return levelOf(this.modes.modesOf(channel, nick), this.network.config.power_levels);
  }

  /** A NAMES list, with each user's modes: who holds which mode now. */
  names(channel: string, users: { nick: string; modes?: string[] }[]): void {
    this.modes.setNames(channel, users);
  }

  /** The levels of everyone in the channel (after NAMES), as the whole list: others go back to the default. */
  queueAll(channel: string): void {
    const levels = this.modes
      .holders(channel)
      .filter((nick) => !this.network.isOurNick(nick))
      .map((nick): [string, number] => [nick, this.levelIn(channel, nick)])
      .filter(([, level]) => level > 0);
    this.queue(channel, this.network.bot.nick, levels, true);
  }

  /**
   * A MODE line in `channel` by `by`: the ghosts whose level it changed get it (`cased` gives a
   * nick as IRC last showed it).
   */
  changed(channel: string, by: string, modes: ModeChange[], cased: (nick: string) => string): void {
    const before = new Map(
      modes
        .flatMap((m) => (typeof m.param === 'string' ? [m.param] : []))
        .map((nick) => [nick.toLowerCase(), this.levelIn(channel, nick)]),
    );
    const changed = this.modes
      .apply(channel, modes)
      .filter((nick) => !this.network.isOurNick(nick))
      .map((nick): [string, number] => [cased(nick), this.levelIn(channel, nick)])
      .filter(([nick, level]) => before.get(nick.toLowerCase()) !== level);
    if (changed.length) this.queue(channel, by, changed);
  }

  /** A new nick is a new ghost: it takes the old one's level (one power-levels event for both). */
  renamed(channel: string, from: string, to: string): void {
    const level = this.levelIn(channel, from);
    this.modes.rename(channel, from, to);
    if (level > 0)
      this.queue(channel, to, [
        [from, 0],
        [to, level],
      ]);
  }

  /** A user with a level left the channel: their ghost's entry goes (it would outlive their op). */
  drop(channel: string, nick: string): void {
    const level = this.take(channel, nick);
    if (level > 0) this.queue(channel, nick, [[nick, 0]]);
  }

  /** Forgets `nick`'s modes in `channel` (they left), returning the level they gave. */
  take(channel: string, nick: string): number {
    const level = this.levelIn(channel, nick);
    this.modes.remove(channel, nick);
    return level;
  }

  /** The bot left the channel: its modes are asked again on the next join. */
  forget(channel: string): void {
    this.modes.forget(channel);
  }

  /** Queues one power-levels event (`complete`: the whole list, others go back to the default). */
  queue(
    channel: string,
    by: string,
    levels: [nick: string, level: number][],
    complete = false,
  ): void {
    const user = (nick: string) => makeRemoteUser(this.network.id, nick);
    const event: RemoteEvent = {
      kind: 'power-levels',
      portal: makePortalKey(this.network.id, channel),
      sender: user(by),
      levels: levels.map(([nick, level]) => ({ user: user(nick), level })),
      ...(complete ? { complete } : {}),
    };
    this.heard.queueQuietly(event);
  }
}

/** The mode letters of ISUPPORT PREFIX as irc-framework keeps it (`[{ symbol: '@', mode: 'o' }, …]`). */
function prefixModes(prefix: unknown): string[] | undefined {
  if (!Array.isArray(prefix) || prefix.length === 0) return undefined;
  return prefix
    .map((p: unknown) => (p as { mode?: unknown } | null)?.mode)
    .filter((m): m is string => typeof m === 'string');
}
