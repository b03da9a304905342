/**
 * The mode letters of the channels the bot is in, from the server's 324 (asked when the bot joins)
 * and then MODE lines: whether a channel is secret, private or invite-only (+s, +p, +i), which
 * makes its room invite-only.
 */
import type { ModeChange } from './modes.js';

/** Secret, private or invite-only (+s, +p, +i): a channel whose room is invite-only. */
const hides = (flags: ReadonlySet<string>) => ['s', 'p', 'i'].some((m) => flags.has(m));

export class ChannelFlags {
  /** Lowercased channel → its mode letters. */
  private readonly flags = new Map<string, Set<string>>();
  /** Lowercased channel → who waits for its 324. */
  private readonly waiters = new Map<string, (() => void)[]>();

  /** The bot (re)joined: what was known is stale until the server answers `MODE #channel`. */
  forget(channel: string): void {
    this.flags.delete(channel.toLowerCase());
  }

  /** The server's 324: the channel's modes now. Returns whether they hide it. */
  learned(channel: string, modes: readonly ModeChange[]): boolean {
    const lower = channel.toLowerCase();
    const flags = new Set(modes.filter((m) => m.mode.startsWith('+')).map((m) => m.mode.slice(1)));
    this.flags.set(lower, flags);
    for (const wake of this.waiters.get(lower) ?? []) wake();
    this.waiters.delete(lower);
    return hides(flags);
  }

  /** The server refused the bot's JOIN as invite-only (473): the channel is +i. */
  refusedAsInviteOnly(channel: string): void {
    this.flags.set(channel.toLowerCase(), new Set(['i']));
  }

  /** A MODE line on the channel: whether it hides the channel now, when that changed. */
  changed(channel: string, modes: readonly ModeChange[]): boolean | undefined {
    const flags = this.flags.get(channel.toLowerCase());
    if (!flags) return undefined; // not known yet: the 324 will tell
    const before = hides(flags);
    for (const { mode, param } of modes) {
      if (param != null) continue; // a nick's mode (+o alice), a key or a limit: not a flag
      if (mode.startsWith('+')) flags.add(mode.slice(1));
      else flags.delete(mode.slice(1));
    }
    return hides(flags) === before ? undefined : hides(flags);
  }

  /**
   * Whether the channel is hidden, as its 324 says: waits up to `waitMs` for the answer while the
   * bot is in the channel; false when it is not in it or the server did not answer.
   */
  async isHidden(channel: string, botInChannel: boolean, waitMs = 2_000): Promise<boolean> {
    const lower = channel.toLowerCase();
    if (!this.flags.has(lower) && botInChannel) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        timer.unref();
        const waiters = this.waiters.get(lower) ?? [];
        waiters.push(() => (clearTimeout(timer), resolve()));
        this.waiters.set(lower, waiters);
      });
    }
    const flags = this.flags.get(lower);
    return !!flags && hides(flags);
  }
}
