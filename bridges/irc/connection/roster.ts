/**
 * Without the pool (`pool.redis`), a restart closes every puppet connection. A puppet used to
 * connect again only when its user next spoke, and then inside that room's queue: a room where
 * N users spoke next waited N registrations one after the other (about a second each on
 * InspIRCd: 300 puppets took 348 s, whatever `max_concurrent_connects` allowed). The roster
 * remembers which Matrix users have a puppet on the network and the channels it is in (the
 * bridge's kv, written a moment after each change), and at start every one of them connects
 * again at once, through the network's connect limiter, and rejoins its channels; a user's next
 * line then finds their puppet connected or connecting. Puppets that QUIT for idleness or to make
 * room are forgotten; a bridge that stops keeps its roster.
 */
import type { Logger } from 'pino';
import type { KeyValueStore, MatrixUserId } from '../../../src/connector.js';
import type { IrcNetwork } from './client.js';

/** The kv key of a network's roster. */
export const rosterKey = (network: string) => `irc:puppets:${network}`;

/** One remembered puppet. */
export interface RosterEntry {
  displayName: string;
  channels: string[];
}

/** How long after a change the roster is written (changes come in bursts: a room's joins). */
const SAVE_AFTER_MS = 1_000;

export class PuppetRoster {
  private timer?: NodeJS.Timeout;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly network: IrcNetwork,
    private readonly kv: KeyValueStore,
    private readonly log: Logger,
  ) {}

  /** Connects every remembered puppet again (in the limiter's turns) and rejoins its channels. */
  async restore(): Promise<number> {
    if (this.network.config.mode === 'relay') return 0;
    const stored =
      (await this.kv.get<Record<string, RosterEntry>>(rosterKey(this.network.id))) ?? {};
    let count = 0;
    for (const [userId, entry] of Object.entries(stored)) {
      try {
        const puppet = this.network.puppetFor(userId as MatrixUserId, entry.displayName);
        for (const channel of entry.channels)
          puppet
            .join(channel)
            .catch((err: unknown) =>
              this.log.debug(
                { err, irc: this.network.id, userId, channel },
                'a puppet connected at start did not rejoin its channel yet',
              ),
            );
        count++;
      } catch (err) {
        this.log.warn({ err, irc: this.network.id, userId }, 'could not reconnect an IRC puppet');
      }
    }
    if (count > 0)
      this.log.info({ irc: this.network.id, puppets: count }, 'IRC puppets reconnecting at start');
    return count;
  }

  /** From now on, every change of the network's puppets is written (shortly after). */
  watch(): void {
    this.network.onPuppetsChanged = () => {
      this.timer ??= setTimeout(() => void this.save(), SAVE_AFTER_MS);
    };
  }

  /** Writes a pending change now (the bridge stops: its puppets are still those to reconnect). */
  async flush(): Promise<void> {
    if (this.timer) await this.save();
    await this.saving;
  }

  private save(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const roster: Record<string, RosterEntry> = {};
    for (const { userId, displayName, channels } of this.network.puppetEntries())
      roster[userId] = { displayName, channels };
    this.saving = this.saving
      .then(() => this.kv.set(rosterKey(this.network.id), roster))
      .catch((err: unknown) =>
        this.log.warn({ err, irc: this.network.id }, 'the IRC puppet roster was not stored'),
      );
    return this.saving;
  }
}
