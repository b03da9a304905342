/** The demo's homeserver: Synapse from PyPI in a venv, through test/peers/synapse.sh. */
import { createHmac, randomBytes } from 'node:crypto';
import type { DemoOptions } from './options.js';
import type { PeerScripts } from './scripts.js';

export interface DemoUser {
  userId: string;
  localpart: string;
  password: string;
}

export class DemoHomeserver {
  /** The registration shared secret of this run (Synapse's config, loopback only). */
  private readonly secret = randomBytes(24).toString('base64url');

  constructor(
    private readonly opts: DemoOptions,
    private readonly scripts: PeerScripts,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.opts.ports.homeserver}`;
  }

  private env(): Record<string, string> {
    return {
      SYNAPSE_VENV: this.opts.synapseVenv,
      HS_PORT: String(this.opts.ports.homeserver),
      SERVER_NAME: this.opts.serverName,
      HS_SECRET: this.secret,
      HS_MACAROON_SECRET: randomBytes(24).toString('base64url'),
    };
  }

  /** pip-installs the pinned Synapse into the venv, unless it is there already. */
  install(): Promise<void> {
    return this.scripts.run('synapse.sh', ['install'], this.env());
  }

  /** Starts Synapse on a fresh database with the bridge's registration, and waits for it. */
  start(registrationFile: string): Promise<void> {
    return this.scripts.run('synapse.sh', ['start', registrationFile], this.env());
  }

  /** Stops it by its PID file (nothing when it is not running). */
  stop(): Promise<void> {
    return this.scripts.run('synapse.sh', ['stop'], this.env());
  }

  /**
   * Registers a normal user with a fresh random password, through the shared-secret admin API
   * (a nonce, then an HMAC-SHA1 of nonce\0user\0password\0notadmin).
   */
  async register(localpart: string): Promise<DemoUser> {
    const url = `${this.url}/_synapse/admin/v1/register`;
    const password = randomBytes(12).toString('base64url');
    const { nonce } = (await (await fetch(url)).json()) as { nonce: string };
    const mac = createHmac('sha1', this.secret)
      .update([nonce, localpart, password, 'notadmin'].join('\0'))
      .digest('hex');
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nonce, username: localpart, password, admin: false, mac }),
    });
    if (!res.ok) throw new Error(`registering @${localpart}: ${res.status} ${await res.text()}`);
    const { user_id } = (await res.json()) as { user_id: string };
    return { userId: user_id, localpart, password };
  }
}
