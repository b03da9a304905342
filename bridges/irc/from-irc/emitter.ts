/**
 * What the listener heard goes to core one event at a time, in the order IRC delivered it: a
 * queue of tasks, each emitting without waiting for core to store (core keeps the order of
 * emits, so a burst from IRC is stored in a few group commits instead of one commit per line).
 * A ghost's display name is its nick, set before its first event and whenever the nick's case
 * changes.
 */
import {
  BridgeError,
  type BridgeContext,
  type PortalKey,
  type RemoteEvent,
  type RemoteUserId,
} from '../../../src/connector.js';

/** What from-irc needs from the bridge: parts of BridgeContext, core's emit, and which portals exist. */
export type RemoteSink = Pick<
  BridgeContext<unknown>,
  'setGhostProfile' | 'portalGhosts' | 'notify' | 'log'
> & {
  /** `ref` (refusals.ts): what to tell the sender if Matrix refuses it. */
  emit(event: RemoteEvent, ref?: string): Promise<void>;
  hasPortal(key: PortalKey): boolean;
};

export class HeardEvents {
  private chain: Promise<void> = Promise.resolve();
  /** Settles when every event emitted so far is stored (or failed and was logged). */
  private stored: Promise<void> = Promise.resolve();
  /** Ghosts whose display name was set in this process: nick as it was last seen. */
  private readonly named = new Map<string, string>();

  constructor(
    private readonly sink: RemoteSink,
    private readonly networkId: string,
  ) {}

  /** Runs `task` after every task queued before it (a failure is logged, the queue goes on). */
  queue(task: () => Promise<void>): void {
    this.chain = this.chain
      .then(task)
      .catch((err: unknown) =>
        this.sink.log.warn({ err, irc: this.networkId }, 'an IRC event was not bridged'),
      );
  }

  /** Queues an event that does not come from a ghost (the bot's: levels, join rules, notices). */
  queueQuietly(event: RemoteEvent): void {
    this.queue(async () => this.emitQuietly(event));
  }

  /** Emits a ghost's event, its display name (`nick`) set first where it changed. */
  async emit(event: RemoteEvent, nick: string, ref?: string): Promise<void> {
    if (!this.sink.hasPortal(event.portal)) return; // a channel no Matrix room is bridged to
    const key = event.sender as string;
    if (this.named.get(key) !== nick) {
      await this.sink.setGhostProfile(event.sender, { displayName: nick });
      this.named.set(key, nick);
    }
    this.emitQuietly(event, ref);
  }

  /** Emits without setting the sender's profile (for what the bot does, not a ghost). */
  emitQuietly(event: RemoteEvent, ref?: string): void {
    if (!this.sink.hasPortal(event.portal)) return;
    const stored = this.sink.emit(event, ref).catch((err: unknown) => {
      // A channel whose room is still being made (NAMES comes first): portalLinked announces them.
      const level = err instanceof BridgeError && err.code === 'unknown-target' ? 'debug' : 'warn';
      this.sink.log[level](
        { err, irc: this.networkId, portal: event.portal },
        'an IRC event was not bridged',
      );
    });
    this.stored = this.stored.then(() => stored);
  }

  /** The nick behind a ghost, as last seen on IRC (with its case), if it was seen in this process. */
  nickOf(user: RemoteUserId): string | undefined {
    return this.named.get(user);
  }

  /** Waits until everything heard so far is stored by core (tests, shutdown). */
  async idle(): Promise<void> {
    await this.chain;
    await this.stored;
  }
}

/** An event's timestamp, where IRC gave one (server-time). */
export const ts = (time?: number) =>
  typeof time === 'number' && Number.isFinite(time) ? { timestamp: time } : {};
