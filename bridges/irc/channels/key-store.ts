/**
 * Every channel key (+k) the bridge knows for a network, and the only place one is read or stored:
 * the config's (`channels: [{ name, key }]`, which win) and those given with `irc join … <key>`,
 * kept in the bridge's kv sealed with the bridge's own key (`ctx.secrets`; the key lives in
 * `secret_key_file`, not in the database): `channel-keys-sealed:<network>` →
 * `{ [lowercased #channel]: sealed key }`. Older versions kept them in the clear under
 * `channel-keys:<network>`: those are sealed at start and the plain map deleted. A value that
 * cannot be opened (another secret key) is logged by channel, never by value, counts as no key,
 * and is kept as it is (the right key file may come back). Keys are never logged.
 */
import type { Logger } from 'pino';
import type { KeyValueStore, SecretSealer } from '../../../src/connector.js';

/** The kv key of a network's sealed channel keys. */
export const sealedKeysKey = (network: string) => `channel-keys-sealed:${network}`;
/** Where versions before sealing kept them, in the clear (read once, then deleted). */
export const plainKeysKey = (network: string) => `channel-keys:${network}`;

type KeyMap = Record<string, string>;

export interface KeyStoreDeps {
  kv: KeyValueStore;
  secrets: SecretSealer;
  log: Logger;
}

export class ChannelKeyStore {
  /** Writes one after another: each writes the whole map. */
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    private readonly network: string,
    /** The config's keys (lowercased channel → key). */
    private readonly configured: Readonly<KeyMap>,
    private readonly deps: KeyStoreDeps,
    /** The sealed values as stored (also those that could not be opened). */
    private sealed: KeyMap,
    /** The opened keys. */
    private readonly opened: Map<string, string>,
  ) {}

  /** Opens the network's stored keys, sealing those an older version stored in the clear. */
  static async open(
    network: string,
    configured: Readonly<KeyMap> | undefined,
    deps: KeyStoreDeps,
  ): Promise<ChannelKeyStore> {
    const sealed = { ...(await deps.kv.get<KeyMap>(sealedKeysKey(network))) };
    const opened = new Map<string, string>();
    for (const [channel, value] of Object.entries(sealed)) {
      try {
        opened.set(channel, deps.secrets.unseal(value));
      } catch {
        deps.log.warn(
          { irc: network, channel },
          'a stored channel key could not be opened (another secret_key_file?): the channel has no known key until `irc join` gives it again',
        );
      }
    }
    const store = new ChannelKeyStore(network, configured ?? {}, deps, sealed, opened);
    await store.sealPlainKeys();
    return store;
  }

  /** The key of `channel`: the config's for a configured channel, else the remembered one. */
  keyOf(channel: string): string | undefined {
    const lower = channel.toLowerCase();
    return this.configured[lower] ?? this.opened.get(lower);
  }

  /** Remembers `key` for `channel` (`irc join … <key>`), sealed. */
  remember(channel: string, key: string): Promise<void> {
    const lower = channel.toLowerCase();
    this.opened.set(lower, key);
    return this.write((map) => (map[lower] = this.deps.secrets.seal(key)));
  }

  /** Plain keys of an older version: sealed (unless a key is known for the channel), then deleted. */
  private async sealPlainKeys(): Promise<void> {
    const plain = await this.deps.kv.get<Record<string, unknown>>(plainKeysKey(this.network));
    if (plain === undefined) return;
    const moved: KeyMap = {};
    for (const [channel, key] of Object.entries(plain)) {
      const lower = channel.toLowerCase();
      if (typeof key !== 'string' || this.opened.has(lower)) continue;
      moved[lower] = this.deps.secrets.seal(key);
      this.opened.set(lower, key);
    }
    // Sealed first, then the plain map deleted: a crash in between seals them again next start.
    await this.write((map) => Object.assign(map, moved));
    await this.deps.kv.delete(plainKeysKey(this.network));
    this.deps.log.info(
      { irc: this.network, channels: Object.keys(moved) },
      'channel keys stored in the clear by an older version are sealed now',
    );
  }

  private write(change: (map: KeyMap) => void): Promise<void> {
    const write = this.writes.then(async () => {
      const map = { ...this.sealed };
      change(map);
      await this.deps.kv.set(sealedKeysKey(this.network), map);
      this.sealed = map;
    });
    this.writes = write.catch(() => undefined);
    return write;
  }
}
