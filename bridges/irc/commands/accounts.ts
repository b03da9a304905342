/**
 * Matrix users' IRC services accounts (`irc login`), kept in the bridge's kv sealed with the
 * bridge's own key (`ctx.secrets`, AES-256-GCM; the key lives in `secret_key_file`, not in the
 * database): `accounts:<network>` → `{ [matrixUserId]: sealed JSON {account, password} }`.
 * At start they are opened into the network's `accounts`, which a user's puppet sends as SASL
 * PLAIN whenever it connects. A value that cannot be opened (another secret key, a changed
 * database) is skipped with a warning that names the user, never the secret, and is kept as it
 * is (the right key may come back).
 */
import type { Logger } from 'pino';
import type { KeyValueStore, SecretSealer } from '../../../src/connector.js';
import type { IrcNetwork } from '../connection/client.js';
import type { SaslAccount } from '../connection/connection.js';

export const accountsKey = (network: string) => `accounts:${network}`;

type Sealed = Record<string, string>;

/** The account in an opened value, or undefined when it is not one (never echo the text: it holds the password). */
function parseAccount(text: string): SaslAccount | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const { account, password } = (value ?? {}) as Record<string, unknown>;
  return typeof account === 'string' && typeof password === 'string'
    ? { account, password }
    : undefined;
}

export class IrcAccounts {
  /** The sealed values per network, as stored (also those that could not be opened). */
  private readonly sealed = new Map<string, Sealed>();
  /** Writes one after another: each writes the whole map of its network. */
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly deps: { kv: KeyValueStore; secrets: SecretSealer; log: Logger }) {}

  /** Opens the network's stored accounts into `network.accounts`. */
  async load(network: IrcNetwork): Promise<void> {
    const stored = (await this.deps.kv.get<Sealed>(accountsKey(network.id))) ?? {};
    this.sealed.set(network.id, { ...stored });
    for (const [userId, sealed] of Object.entries(stored)) {
      let account: SaslAccount | undefined;
      try {
        account = parseAccount(this.deps.secrets.unseal(sealed));
      } catch {
        account = undefined;
      }
      if (account) network.accounts.set(userId, account);
      else
        this.deps.log.warn(
          { irc: network.id, userId },
          'a stored IRC login could not be opened (another secret_key_file?): that user connects without it until they `irc login` again',
        );
    }
  }

  /** Stores the user's account sealed (undefined: forgets it). */
  save(network: string, userId: string, account: SaslAccount | undefined): Promise<void> {
    const write = this.writes.then(async () => {
      const map = { ...this.sealed.get(network) };
      if (account) map[userId] = this.deps.secrets.seal(JSON.stringify(account));
      else delete map[userId];
      await this.deps.kv.set(accountsKey(network), map);
      this.sealed.set(network, map);
    });
    this.writes = write.catch(() => undefined);
    return write;
  }
}
