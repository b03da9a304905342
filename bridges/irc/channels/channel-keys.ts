/**
 * Channel keys (+k): from the config (`channels: [{ name, key }]`) or given with
 * `irc join <network> <#channel> <key>` (remembered in the bridge's kv, so they survive restarts).
 * Any of the network's connections (bot or puppet) whose JOIN the server refuses for its key
 * (475 ERR_BADCHANNELKEY) joins again with the key we know, once per key: so every path that
 * joins a channel (a message, a room join, a reconnect) works without knowing about keys, and the
 * connection remembers the key for its later rejoins.
 */
import type { Logger } from 'pino';
import type { KeyValueStore } from '../../../src/connector.js';
import type { IrcNetworkConfig } from '../config.js';
import type { IrcConnection } from '../connection/connection.js';

/** The kv key of a network's remembered channel keys: `{ [lowercased #channel]: key }`. */
export const channelKeysKey = (network: string) => `channel-keys:${network}`;

/** Remembers `key` for `channel` (from `irc join … <key>`). */
export async function rememberChannelKey(
  kv: KeyValueStore,
  network: string,
  channel: string,
  key: string,
): Promise<void> {
  const keys = (await kv.get<Record<string, string>>(channelKeysKey(network))) ?? {};
  keys[channel.toLowerCase()] = key;
  await kv.set(channelKeysKey(network), keys);
}

/** `:server 475 <me> <#channel> :reason` */
const BAD_KEY = /^(?:@\S+ )?:\S+ 475 \S+ (\S+)/;

export class ChannelKeys {
  constructor(
    private readonly network: string,
    private readonly config: Pick<IrcNetworkConfig, 'channel_keys'>,
    private readonly kv: KeyValueStore,
    private readonly log: Logger,
  ) {}

  /** The key of `channel`: the config's for a configured channel, else the remembered one. */
  async keyOf(channel: string): Promise<string | undefined> {
    const lower = channel.toLowerCase();
    const configured = this.config.channel_keys?.[lower];
    if (configured !== undefined) return configured;
    return (await this.kv.get<Record<string, string>>(channelKeysKey(this.network)))?.[lower];
  }

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
      retrying.add(channel);
      this.keyOf(channel)
        .then((key) => {
          if (key === undefined || tried.get(channel) === key) {
            this.log.warn(
              { irc: this.network, channel, nick: conn.nick, known: key !== undefined },
              'IRC refused to join a channel for its key (+k)',
            );
            return;
          }
          tried.set(channel, key);
          return conn.join(channel, key);
        })
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
