/**
 * Netsplits: when two IRC servers lose their link, every user behind the other one QUITs at
 * once, and most JOIN again a minute later when the link is back (a netjoin). Bridged as they
 * come, that is hundreds of ghost leaves and joins flooding the rooms. Instead the ghost of a user
 * who quit in a netsplit stays in its rooms for a grace period: if they join again in time nothing
 * reaches Matrix; otherwise their leaves are sent when it ends, as ordinary quits.
 */

/** The bridge's kv key of a network's holds. */
export const splitHoldsKey = (network: string) => `netsplit-holds:${network}`;

/** Holds as read back from the kv: anything malformed is dropped (a hold only delays a leave). */
export function readHolds(stored: unknown): HeldQuit[] {
  if (!Array.isArray(stored)) return [];
  return stored.filter(
    (h): h is HeldQuit =>
      typeof h === 'object' &&
      h !== null &&
      typeof (h as HeldQuit).nick === 'string' &&
      typeof (h as HeldQuit).reason === 'string' &&
      typeof (h as HeldQuit).until === 'number' &&
      typeof (h as HeldQuit).channels === 'object' &&
      (h as HeldQuit).channels !== null &&
      Object.values((h as HeldQuit).channels).every((level) => typeof level === 'number'),
  );
}

/** A QUIT as irc-framework hands it over (`batch` when it came inside an IRCv3 BATCH). */
export interface QuitLine {
  message?: string;
  batch?: { type?: string };
}

/** A host name with a dot (`irc.a.net`; `*` labels as in the hidden `*.net *.split`), ending in letters. */
const LABEL = '(?:\\*|[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)';
const SERVER = `${LABEL}(?:\\.${LABEL})*\\.[a-z][a-z0-9-]*`;
const SPLIT_MESSAGE = new RegExp(`^(${SERVER}) (${SERVER})$`, 'i');

/**
 * Whether a QUIT is part of a netsplit: inside an IRCv3 `netsplit` batch, or (servers without
 * it) with the classic message naming the two servers that split, `irc.a.net irc.b.net`.
 * Servers prefix users' own quit messages (`Quit: …`) so a user cannot fake one; still, the
 * match is strict: exactly two different host names with a dot, one space between.
 */
export function isNetsplitQuit(quit: QuitLine): boolean {
  if (quit.batch?.type?.toLowerCase() === 'netsplit') return true;
  const m = SPLIT_MESSAGE.exec(quit.message ?? '');
  return !!m && m[1]!.toLowerCase() !== m[2]!.toLowerCase();
}

/** A user who quit in a netsplit, as kept (and stored across restarts). */
export interface HeldQuit {
  /** The nick as IRC showed it. */
  nick: string;
  /** Lowercased channel → the power level its ghost had there (taken away if the leave is sent). */
  channels: Record<string, number>;
  /** The quit message (the leave's reason). */
  reason: string;
  /** When the grace ends (ms since the epoch). */
  until: number;
}

/**
 * The ghosts held in their rooms after a netsplit quit, by lowercased nick. `expired` is called
 * with what is left of a hold when its grace ends; `changed` with every hold after each change
 * (coalesced: at most once per turn of the event loop), to store them.
 */
export class SplitHolds {
  private readonly held = new Map<string, { quit: HeldQuit; timer: NodeJS.Timeout }>();
  private saveQueued = false;
  private stopped = false;

  constructor(
    private readonly graceMs: number,
    private readonly expired: (quit: HeldQuit) => void,
    private readonly changed: (holds: HeldQuit[]) => void = () => undefined,
  ) {}

  /** Whether netsplit quits are held at all (`netsplit_grace_seconds: 0` sends them at once). */
  get enabled(): boolean {
    return this.graceMs > 0;
  }

  /** `nick` quit in a netsplit from `channels` (lowercased channel → its ghost's level there). */
  hold(nick: string, channels: Record<string, number>, reason: string): void {
    if (Object.keys(channels).length === 0) return;
    this.start({ nick, channels, reason, until: Date.now() + this.graceMs });
  }

  /**
   * `nick` is in `channel` again (a JOIN, a NAMES list, a nick change to it): true when its ghost
   * was held there, so it is in the room already and nothing is sent.
   */
  rejoined(nick: string, channel: string): boolean {
    const key = nick.toLowerCase();
    const entry = this.held.get(key);
    const lower = channel.toLowerCase();
    if (!entry || !(lower in entry.quit.channels)) return false;
    delete entry.quit.channels[lower];
    if (Object.keys(entry.quit.channels).length === 0) {
      clearTimeout(entry.timer);
      this.held.delete(key);
    }
    this.queueSave();
    return true;
  }

  /** Whether the ghost of `nick` is held in `channel` (it quit in a netsplit and may come back). */
  isHeld(nick: string, channel: string): boolean {
    return channel.toLowerCase() in (this.held.get(nick.toLowerCase())?.quit.channels ?? {});
  }

  /** Holds stored before a restart: each keeps what was left of its grace (none left: expires now). */
  restore(quits: HeldQuit[]): void {
    for (const quit of quits) this.start({ ...quit, channels: { ...quit.channels } });
  }

  /** Stops the timers (the bridge stops): the stored holds are taken up again at the next start. */
  stop(): void {
    for (const { timer } of this.held.values()) clearTimeout(timer);
    this.held.clear();
    this.stopped = true;
  }

  /** How many users are held now. */
  get size(): number {
    return this.held.size;
  }

  /** What is held now (tests, storage). */
  list(): HeldQuit[] {
    return [...this.held.values()].map(({ quit }) => ({ ...quit, channels: { ...quit.channels } }));
  }

  private start(quit: HeldQuit): void {
    const key = quit.nick.toLowerCase();
    const before = this.held.get(key);
    if (before) {
      // Quit again before the grace ended (split, joined one channel, split again): one hold.
      clearTimeout(before.timer);
      quit = { ...quit, channels: { ...before.quit.channels, ...quit.channels } };
    }
    const timer = setTimeout(() => this.expire(key), Math.max(0, quit.until - Date.now()));
    timer.unref();
    this.held.set(key, { quit, timer });
    this.queueSave();
  }

  private expire(key: string): void {
    const entry = this.held.get(key);
    if (!entry) return;
    this.held.delete(key);
    this.queueSave();
    this.expired(entry.quit);
  }

  private queueSave(): void {
    if (this.saveQueued) return;
    this.saveQueued = true;
    setImmediate(() => {
      this.saveQueued = false;
      if (!this.stopped) this.changed(this.list());
    });
  }
}
