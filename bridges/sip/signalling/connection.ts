/**
 * The trunk account's SIP user agent (sip.js over WebSocket): REGISTER with digest auth, refreshed
 * by sip.js before it expires, and after a lost connection (a registrar restart) reconnected with
 * jittered backoff and registered again.
 */
import type { Logger } from 'pino';
import { WebSocket as WsWebSocket, type ClientOptions } from 'ws';
import {
  Registerer,
  RegistererState,
  UserAgent,
  type SessionDescriptionHandlerFactory,
  type UserAgentDelegate,
} from 'sip.js';
import { accountPassword, sipDomain, type SipConfig } from '../config.js';
import { installFastSipGrammar } from './sip-grammar.js';

/** The `ws` options sip.js's transport cannot pass itself (it calls `new WebSocket(url, 'sip')`). */
let socketOptions: ClientOptions = {};
class SipWebSocket extends WsWebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols, socketOptions);
  }
}
// sip.js takes the WebSocket class from the global scope (Node 20 has none).
(globalThis as { WebSocket?: unknown }).WebSocket = SipWebSocket;

export type RegistrationState = 'connecting' | 'registered' | 'unregistered' | 'stopped';

export interface ConnectionOptions {
  config: SipConfig;
  log: Logger;
  delegate: UserAgentDelegate;
  sdhFactory: SessionDescriptionHandlerFactory;
  /** Called on every change of the registration state (for metrics and tests). */
  onState?(state: RegistrationState): void;
}

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;

export class SipConnection {
  readonly ua: UserAgent;
  private registerer: Registerer;
  private state: RegistrationState = 'connecting';
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;
  private attempt = 0;
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  readonly aor: string;

  constructor(private readonly opts: ConnectionOptions) {
    const { config } = opts;
    socketOptions = { rejectUnauthorized: config.tls_reject_unauthorized };
    if (!installFastSipGrammar())
      opts.log.warn(
        'this sip.js version is not the expected one: its slower header parser is kept',
      );
    const domain = sipDomain(config);
    this.aor = `sip:${config.account.username}@${domain}`;
    const uri = UserAgent.makeURI(this.aor);
    if (!uri) throw new Error(`not a SIP URI: ${this.aor}`);
    this.ua = new UserAgent({
      uri,
      authorizationUsername: config.account.auth_username ?? config.account.username,
      authorizationPassword: accountPassword(config),
      transportOptions: { server: config.server, connectionTimeout: 10 },
      sessionDescriptionHandlerFactory: opts.sdhFactory,
      logBuiltinEnabled: false,
      logLevel: 'error',
      userAgentString: 'Switchboard SIP bridge',
      delegate: {
        ...opts.delegate,
        onDisconnect: (error) => {
          if (this.stopped) return;
          opts.log.warn({ err: error?.message }, 'SIP connection lost: reconnecting');
          this.setState('connecting');
          this.scheduleRetry();
        },
      },
    });
    this.registerer = this.newRegisterer();
  }

  /** A Registerer (sip.js ends one for good when its connection drops: each reconnect gets a new one). */
  private newRegisterer(): Registerer {
    const registerer = new Registerer(this.ua, { expires: this.opts.config.register_expires });
    registerer.stateChange.addListener((s) => {
      if (registerer !== this.registerer) return;
      if (s === RegistererState.Registered) {
        this.attempt = 0;
        this.setState('registered');
      } else if (s === RegistererState.Unregistered && !this.stopped) this.setState('unregistered');
    });
    return registerer;
  }

  get registration(): RegistrationState {
    return this.state;
  }

  /** Connects and registers; resolves once the first attempt is made (it retries on its own). */
  async start(): Promise<void> {
    try {
      await this.ua.start();
      await this.register();
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'SIP connection failed: retrying');
      this.scheduleRetry();
    }
  }

  /**
   * Resolves when the account is registered (now or later); rejects after `ms`, or at once when
   * `refusal` is set and the registrar refuses a REGISTER (a wrong password).
   */
  registered(ms: number, refusal = false): Promise<void> {
    if (this.state === 'registered') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error('not registered with the SIP server'));
      }, ms);
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err: Error) => {
          if (!refusal) return;
          clearTimeout(timer);
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(err);
        },
      };
      this.waiters.push(waiter);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.setState('stopped');
    if (this.ua.isConnected()) await this.registerer.unregister().catch(() => undefined);
    await this.registerer.dispose().catch(() => undefined);
    await this.ua.stop().catch(() => undefined);
  }

  private async register(): Promise<void> {
    await this.registerer.register({
      requestDelegate: {
        // The Registerer's state may not change (Registered before the connection dropped, and
        // again now): the 200 says it.
        onAccept: () => {
          this.attempt = 0;
          this.setState('registered');
        },
        onReject: (response) => {
          const code = response.message.statusCode;
          // A wrong password is not something a retry fixes quickly: say so, and back off.
          this.opts.log.error(
            { status: code, reason: response.message.reasonPhrase },
            'the SIP registrar refused the REGISTER (check account.username and the password)',
          );
          this.setState('unregistered');
          for (const w of [...this.waiters]) w.reject(new Error(`REGISTER refused: ${code}`));
          this.scheduleRetry();
        },
      },
    });
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt++);
    const delay = base / 2 + Math.random() * (base / 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.retry();
    }, delay);
  }

  private async retry(): Promise<void> {
    if (this.stopped) return;
    try {
      if (!this.ua.isConnected()) await this.ua.reconnect();
      if (this.registerer.state === RegistererState.Terminated) {
        this.registerer = this.newRegisterer();
      }
      await this.register();
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'SIP reconnect failed: retrying');
      this.scheduleRetry();
    }
  }

  private setState(state: RegistrationState): void {
    if (state === this.state) return;
    this.state = state;
    this.opts.log.info({ registration: state, aor: this.aor }, 'SIP registration');
    this.opts.onState?.(state);
    if (state === 'registered') for (const w of this.waiters.splice(0)) w.resolve();
  }
}
