/**
 * Matrix users' own SIP accounts (`sip login`): each one registered by a user agent of its own on
 * the same registrar, its password sealed (ctx.secrets) in the store. Calls and texts to the
 * account ring and reach its Matrix user; theirs go out from it instead of the trunk.
 */
import type { Logger } from 'pino';
import type { KeyValueStore, MatrixUserId, SecretSealer } from '../../../src/connector.js';
import type { SipConfig } from '../config.js';
import type { SipConnection } from './connection.js';

export interface SipAccount {
  username: string;
  password: string;
  auth_username?: string;
}

const KEY = 'user-accounts';
const USERNAME = /^[A-Za-z0-9._+-]{1,64}$/;
const AUTH_USERNAME = /^[A-Za-z0-9._+@-]{1,128}$/;

/** Why `account` cannot be used, or undefined (the same rules as the trunk's account). */
export function accountProblem(account: SipAccount): string | undefined {
  if (!USERNAME.test(account.username))
    return 'the user name may only have letters, digits and . _ + -';
  if (account.auth_username !== undefined && !AUTH_USERNAME.test(account.auth_username))
    return 'the auth user name may only have letters, digits and . _ + @ -';
  if (account.password.length < 1 || account.password.length > 256)
    return 'the password must be 1 to 256 characters';
  return undefined;
}

export interface LinesDeps {
  config: SipConfig;
  log: Logger;
  kv: KeyValueStore;
  secrets: SecretSealer;
  /** A connection (not started) for `owner`'s account. */
  connect(owner: MatrixUserId, config: SipConfig): SipConnection;
}

export type LoginOutcome = { ok: true; aor: string } | { ok: false; reason: string };

export class UserLines {
  private readonly lines = new Map<string, SipConnection>();
  private sealed: Record<string, string> = {};
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly deps: LinesDeps) {}

  /** The user's own line, if they logged in. */
  of(user: string): SipConnection | undefined {
    return this.lines.get(user);
  }

  get size(): number {
    return this.lines.size;
  }

  private configFor(account: SipAccount): SipConfig {
    return {
      ...this.deps.config,
      account: {
        username: account.username,
        password: account.password,
        ...(account.auth_username ? { auth_username: account.auth_username } : {}),
      },
    };
  }

  /** Opens the stored accounts and registers them (in the background: each retries on its own). */
  async load(): Promise<void> {
    this.sealed = { ...((await this.deps.kv.get<Record<string, string>>(KEY)) ?? {}) };
    for (const [user, sealed] of Object.entries(this.sealed)) {
      let account: SipAccount;
      try {
        account = JSON.parse(this.deps.secrets.unseal(sealed)) as SipAccount;
      } catch {
        this.deps.log.warn(
          { userId: user },
          'a stored SIP login could not be opened (another secret key?): the user has to `sip login` again',
        );
        continue;
      }
      const line = this.deps.connect(user as MatrixUserId, this.configFor(account));
      this.lines.set(user, line);
      void line.start();
    }
  }

  /** Registers `account` for `user`; kept (and stored sealed) only when the registrar takes it. */
  async login(user: MatrixUserId, account: SipAccount, waitMs = 10_000): Promise<LoginOutcome> {
    const problem = accountProblem(account);
    if (problem) return { ok: false, reason: problem };
    const line = this.deps.connect(user, this.configFor(account));
    await line.start();
    try {
      await line.registered(waitMs, true);
    } catch {
      await line.stop();
      return {
        ok: false,
        reason: 'the registrar did not accept it (check the user name and password)',
      };
    }
    const previous = this.lines.get(user);
    this.lines.set(user, line);
    await previous?.stop();
    await this.save(user, account);
    return { ok: true, aor: line.aor };
  }

  /** Unregisters and forgets the user's account; false when they had none. */
  async logout(user: MatrixUserId): Promise<boolean> {
    const line = this.lines.get(user);
    this.lines.delete(user);
    const stored = user in this.sealed;
    await this.save(user, undefined);
    await line?.stop();
    return line !== undefined || stored;
  }

  async stop(): Promise<void> {
    const lines = [...this.lines.values()];
    this.lines.clear();
    await Promise.all(lines.map((l) => l.stop()));
  }

  private save(user: string, account: SipAccount | undefined): Promise<void> {
    const write = this.writes.then(async () => {
      const map = { ...this.sealed };
      if (account) map[user] = this.deps.secrets.seal(JSON.stringify(account));
      else delete map[user];
      await this.deps.kv.set(KEY, map);
      this.sealed = map;
    });
    this.writes = write.catch(() => undefined);
    return write;
  }
}
