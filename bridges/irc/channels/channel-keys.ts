/**
 * Channel keys (+k) at work: any of the network's connections (bot or puppet) whose JOIN the
 * server refuses for its key (475 ERR_BADCHANNELKEY) joins again with the key we know (key-store.ts:
 * the config's, or one remembered from `irc join <network> <#channel> <key>`), once per key: so
 * every path that joins a channel (a message, a room join, a reconnect) works without knowing about
 * keys, and the connection remembers the key for its later rejoins.
 */
import type { Logger } from 'pino';
import type { IrcConnection } from '../connection/connection.js';
import type { ChannelKeyStore } from './key-store.js';

/** `:server 475 <me> <#channel> :reason` */
const BAD_KEY = /^(?:@\S+ )?:\S+ 475 \S+ (\S+)/;

export class ChannelKeys {
  constructor(
    private readonly network: string,
    private readonly store: ChannelKeyStore,
    private readonly log: Logger,
  ) {}

  /** Joins again with the known key when the server refuses a JOIN of `conn` for its key. */
  attach(conn: IrcConnection): void {
    /** Lowercased channel → the key last retried with (a wrong key is not retried forever). */
    const tried = new Map<string, string>();
    /** Channels being joined again: more 475s meanwhile answer the JOINs sent before the key was known. */
    const retrying = new Set<string>();
    conn.client.on('join', (e: { nick: string; channel: string }) => {
      if (conn.isMe(e.nick)) tried.delete(e.channel.toLowerCase());
    });
    conn.client.on('raw', (e: { line: string; from_server: boolean }) => {
      const m = e.from_server ? BAD_KEY.exec(e.line) : null;
      const channel = m?.[1]?.toLowerCase();
      if (!channel || retrying.has(channel)) return;
      const key = this.store.keyOf(channel);
      if (key === undefined || tried.get(channel) === key) {
        this.log.warn(
          { irc: this.network, channel, nick: conn.nick, known: key !== undefined },
          'IRC refused to join a channel for its key (+k)',
        );
        return;
      }
      tried.set(channel, key);
      retrying.add(channel);
      conn
        .join(channel, key)
        .catch((err: unknown) =>
          this.log.warn(
            { err, irc: this.network, channel },
            'could not join a channel with its key',
          ),
        )
        .finally(() => retrying.delete(channel));
    });
  }
}
