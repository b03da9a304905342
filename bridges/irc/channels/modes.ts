/**
 * Channel prefix modes (op, halfop, voice, …) of the users in each channel, as the bot sees them:
 * from NAMES (all prefixes, with multi-prefix) and MODE changes. What Matrix power level a user
 * gets from them is channel-config.ts's `levelOf`.
 */

/** Prefix modes when the server does not say (ISUPPORT PREFIX): founder, admin, op, halfop, voice. */
const DEFAULT_PREFIX_MODES = ['q', 'a', 'o', 'h', 'v'];

export interface ModeChange {
  /** `+o`, `-v`, … */
  mode: string;
  /** irc-framework gives `null` for a mode without a parameter (`+m`). */
  param?: string | null;
}

export class ChannelModes {
  /** Lowercased channel → lowercased nick → its prefix modes. */
  private readonly channels = new Map<string, Map<string, Set<string>>>();

  /** @param prefixModes the server's prefix mode letters (ISUPPORT PREFIX), asked when needed. */
  constructor(private readonly prefixModes: () => string[] | undefined = () => undefined) {}

  /** NAMES: the channel's users and their modes, replacing what was known. */
  setNames(channel: string, users: { nick: string; modes?: string[] }[]): void {
    const map = new Map<string, Set<string>>();
    for (const u of users)
      if (u.modes?.length) map.set(u.nick.toLowerCase(), new Set(u.modes.filter(isModeLetter)));
    this.channels.set(channel.toLowerCase(), map);
  }

  /** A MODE line on `channel`: the nicks whose prefix modes changed. */
  apply(channel: string, changes: ModeChange[]): string[] {
    const prefixes = this.prefixModes() ?? DEFAULT_PREFIX_MODES;
    const map = this.channel(channel);
    const changed: string[] = [];
    for (const { mode, param } of changes) {
      const sign = mode[0];
      const letter = mode.slice(1);
      if ((sign !== '+' && sign !== '-') || !prefixes.includes(letter) || !param) continue;
      const nick = param.toLowerCase();
      let modes = map.get(nick);
      if (sign === '+') {
        if (!modes) map.set(nick, (modes = new Set()));
        modes.add(letter);
      } else {
        modes?.delete(letter);
        if (modes?.size === 0) map.delete(nick);
      }
      if (!changed.includes(nick)) changed.push(nick);
    }
    return changed;
  }

  modesOf(channel: string, nick: string): Set<string> {
    return this.channels.get(channel.toLowerCase())?.get(nick.toLowerCase()) ?? new Set();
  }

  /** The nicks of `channel` that hold any prefix mode. */
  holders(channel: string): string[] {
    return [...(this.channels.get(channel.toLowerCase())?.keys() ?? [])];
  }

  /** The user left `channel` (PART, KICK; QUIT for every channel). */
  remove(channel: string, nick: string): void {
    this.channels.get(channel.toLowerCase())?.delete(nick.toLowerCase());
  }

  /** A nick change keeps the modes. */
  rename(channel: string, from: string, to: string): void {
    const map = this.channels.get(channel.toLowerCase());
    const modes = map?.get(from.toLowerCase());
    if (!map || !modes) return;
    map.delete(from.toLowerCase());
    map.set(to.toLowerCase(), modes);
  }

  /** The bot left the channel: nothing about it is known any more. */
  forget(channel: string): void {
    this.channels.delete(channel.toLowerCase());
  }

  private channel(channel: string): Map<string, Set<string>> {
    const key = channel.toLowerCase();
    let map = this.channels.get(key);
    if (!map) this.channels.set(key, (map = new Map()));
    return map;
  }
}

const isModeLetter = (m: string) => /^[A-Za-z]$/.test(m);
