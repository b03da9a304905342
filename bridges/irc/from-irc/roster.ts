/**
 * Who is in which channel, as the bot sees it (from NAMES, JOIN, PART, KICK, QUIT and NICK):
 * channels and nicks are kept lowercased, with each nick's case as IRC last showed it (ghosts'
 * display names keep its case).
 */
export class ChannelRoster {
  /** Lowercased channel → lowercased nicks in it. */
  private readonly members = new Map<string, Set<string>>();
  /** Lowercased nick → the nick as IRC last showed it. */
  private readonly cased = new Map<string, string>();

  /** `nick` joined `channel`. */
  joined(channel: string, nick: string): void {
    this.member(channel).add(nick.toLowerCase());
    this.cased.set(nick.toLowerCase(), nick);
  }

  /** `nick` parted or was kicked from `channel`. */
  left(channel: string, nick: string): void {
    this.members.get(channel.toLowerCase())?.delete(nick.toLowerCase());
  }

  /** `nick` quit: gone from every channel, which are returned. */
  quit(nick: string): string[] {
    const channels = this.channelsOf(nick);
    for (const c of channels) this.left(c, nick);
    return channels;
  }

  /** `from` is now known as `to`: the channels they are in, which now list `to`. */
  renamed(from: string, to: string): string[] {
    const channels = this.channelsOf(from);
    for (const c of channels) {
      this.left(c, from);
      this.joined(c, to);
    }
    return channels;
  }

  /**
   * A NAMES list: who is in the channel now. Returns who was there before (lowercased) and who
   * is there now (lowercased → as IRC shows it).
   */
  names(channel: string, nicks: string[]): { before: Set<string>; now: Map<string, string> } {
    const before = this.members.get(channel.toLowerCase()) ?? new Set<string>();
    const now = new Map(nicks.map((nick) => [nick.toLowerCase(), nick]));
    for (const [lower, nick] of now) this.cased.set(lower, nick);
    this.members.set(channel.toLowerCase(), new Set(now.keys()));
    return { before, now };
  }

  /** The bot left the channel: nobody is known to be in it. */
  forget(channel: string): void {
    this.members.delete(channel.toLowerCase());
  }

  /** Whether the bot knows who is in the channel (it joined it). */
  knows(channel: string): boolean {
    return this.members.has(channel.toLowerCase());
  }

  has(channel: string, nick: string): boolean {
    return this.members.get(channel.toLowerCase())?.has(nick.toLowerCase()) ?? false;
  }

  /** The (lowercased) nicks in the channel. */
  nicksIn(channel: string): Iterable<string> {
    return this.members.get(channel.toLowerCase()) ?? [];
  }

  /** The nick as IRC last showed it, if it was seen. */
  casedNick(nick: string): string | undefined {
    return this.cased.get(nick.toLowerCase());
  }

  /** The (lowercased) channels `nick` is in. */
  channelsOf(nick: string): string[] {
    const lower = nick.toLowerCase();
    return [...this.members].filter(([, nicks]) => nicks.has(lower)).map(([channel]) => channel);
  }

  private member(channel: string): Set<string> {
    const key = channel.toLowerCase();
    let set = this.members.get(key);
    if (!set) this.members.set(key, (set = new Set()));
    return set;
  }
}
