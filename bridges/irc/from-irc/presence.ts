/**
 * IRC away status → the presence of the user's ghost, through IRCv3 `away-notify` (irc-framework
 * asks for it): `AWAY :lunch` → `unavailable` with "lunch" as status, `AWAY` alone (back) →
 * `online`. The server sends these for users in a channel the bot shares, and after the JOIN of
 * a user who is away already. Users away before the bot joined are learnt from `WHO #channel`,
 * asked at each join of the bot (`seen`).
 *
 * Read from the raw line, not irc-framework's `away` event: that event also comes for RPL_AWAY
 * (301, the server's answer to a PRIVMSG to an away user), with the very same fields.
 */
import type { PortalKey, RemoteEvent } from '../../../src/connector.js';
import { stripIrcFormatting } from '../format/format.js';

export type IrcPresence = Pick<Extract<RemoteEvent, { kind: 'presence' }>, 'presence' | 'status'>;

/** `[@tags] :nick!user@host AWAY [:message]` from the server (raw lines keep their CR LF). */
const AWAY = /^(?:@\S+ +)?:([^\s!@]+)\S* +AWAY(?: +(:?)([^\r\n]*))?[\r\n]*$/;

/** The change an `AWAY` line announces, or undefined for any other line. */
export function awayChange(line: string): { nick: string; presence: IrcPresence } | undefined {
  const m = AWAY.exec(line);
  if (!m) return undefined;
  // A trailing parameter (`:…`) is the whole rest; a middle one ends at the first space.
  const param = m[2] ? m[3]! : (m[3] ?? '').split(' ')[0]!;
  if (!param) return { nick: m[1]!, presence: { presence: 'online' } };
  // Away with a message of only colour codes or spaces is still away, just without a status.
  const status = stripIrcFormatting(param).trim();
  return { nick: m[1]!, presence: { presence: 'unavailable', ...(status ? { status } : {}) } };
}

/**
 * Sends the ghosts' presences: only changes, and `offline` for a ghost that was given one when
 * its user goes out of sight (QUIT, or left the last bridged channel). Not on every QUIT: a ghost
 * never given a presence is at Matrix's default (offline) already, and a request per QUIT would
 * be waste; but one that was given "away: lunch" would keep it (a presence outlives room
 * membership) and show it when the nick comes back no longer away, since then no AWAY comes.
 */
export class GhostPresence {
  /** Lowercased nick → what its ghost was last given. */
  private readonly given = new Map<string, IrcPresence>();

  constructor(
    private readonly send: (nick: string, portal: PortalKey, presence: IrcPresence) => void,
  ) {}

  /** `nick` went away or came back; `portal`: a bridged channel they are in (none: no ghost). */
  changed(nick: string, presence: IrcPresence, portal: PortalKey | undefined): void {
    const key = nick.toLowerCase();
    const before = this.given.get(key);
    if (!portal || (before?.presence === presence.presence && before.status === presence.status))
      return;
    this.given.set(key, presence);
    this.send(nick, portal, presence);
  }

  /**
   * WHO's answer for a channel the bot joined: who is away now (no message: WHO has none). Fills in
   * users away since before the bot could hear their AWAY, and corrects what changed while it was
   * disconnected; an away user keeps the message they were given.
   */
  seen(nick: string, away: boolean, portal: PortalKey | undefined): void {
    const before = this.given.get(nick.toLowerCase())?.presence;
    if (away && before !== 'unavailable') this.changed(nick, { presence: 'unavailable' }, portal);
    if (!away && before !== undefined && before !== 'online')
      this.changed(nick, { presence: 'online' }, portal);
  }

  /** Sends `nick`'s presence again, if it was given one (its room is new: what was sent before it existed was lost). */
  again(nick: string, portal: PortalKey): void {
    const presence = this.given.get(nick.toLowerCase());
    if (presence) this.send(nick, portal, presence);
  }

  isGiven(nick: string): boolean {
    return this.given.has(nick.toLowerCase());
  }

  /** `nick` is in no bridged channel any more; `portal` is the last one they were in. */
  gone(nick: string, portal: PortalKey): void {
    if (this.given.delete(nick.toLowerCase())) this.send(nick, portal, { presence: 'offline' });
  }

  /** A new nick is a new ghost: the old one goes offline, the new one takes its presence. */
  renamed(from: string, to: string, portal: PortalKey | undefined): void {
    const presence = this.given.get(from.toLowerCase());
    // Ghosts are of lowercased nicks: a change of case keeps the ghost, and its presence.
    if (!presence || !portal || from.toLowerCase() === to.toLowerCase()) return;
    this.gone(from, portal);
    this.changed(to, presence, portal);
  }
}
