/**
 * The admins' status page, put together: its auth, its data, its routes, and its own listener
 * when `status_page.port` is set. Core makes one when `status_page.enabled` (the default).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type Server } from 'node:http';
import express, { type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { StatusAuth } from './auth.js';
import { statusRouter, STATUS_PATH } from './router.js';
import type { StatusSource } from './snapshot.js';

type StatusConfig = Config['status_page'];

/** `status_page.token`, or the first line of `token_file`; a file that cannot be read stops start. */
export function statusToken(config: StatusConfig): string | undefined {
  if (config.token) return config.token;
  if (!config.token_file) return undefined;
  let token: string;
  try {
    token = readFileSync(config.token_file, 'utf8').split('\n')[0]!.trim();
  } catch (err) {
    throw new Error(
      `status_page.token_file: cannot read ${config.token_file}: ${(err as Error).message}`,
    );
  }
  if (token.length < 16)
    throw new Error(
      `status_page.token_file: the token in ${config.token_file} must be at least 16 characters`,
    );
  return token;
}

export interface StatusPageOptions {
  config: StatusConfig;
  /** Where the appservice listener is reached, when the page has no listener and url of its own. */
  appserviceUrl: string;
  key: () => Buffer;
  source: StatusSource;
  retry(eventId: string): Promise<boolean>;
  log: Logger;
}

export class StatusPage {
  readonly auth: StatusAuth;
  readonly routes: RequestHandler;
  private server?: Server;

  constructor(private readonly opts: StatusPageOptions) {
    const token = statusToken(opts.config);
    this.auth = new StatusAuth({
      key: opts.key,
      linkTtlMs: opts.config.link_ttl_minutes * 60_000,
      ...(token ? { token } : {}),
    });
    this.routes = statusRouter({
      auth: this.auth,
      source: opts.source,
      retry: opts.retry,
      secure: this.base().startsWith('https:'),
      cookiePath: `${this.prefix()}${STATUS_PATH}`,
      log: opts.log,
    });
  }

  /** Whether the page has a listener of its own. */
  get ownListener(): boolean {
    return this.opts.config.port !== undefined;
  }

  /** The port of its own listener (useful with port 0). */
  get port(): number | undefined {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : this.opts.config.port;
  }

  /** Where the page is reached: `status_page.url`, its own listener, or the appservice's URL. */
  base(): string {
    const { config } = this.opts;
    const url =
      config.url ??
      (config.port !== undefined
        ? `http://${hostForUrl(config.bind ?? '127.0.0.1')}:${this.port}`
        : this.opts.appserviceUrl);
    return url.replace(/\/+$/, '');
  }

  /** The path prefix of the URL admins use (a reverse proxy's), without the trailing slash. */
  private prefix(): string {
    const { config } = this.opts;
    const url = config.url ?? (config.port === undefined ? this.opts.appserviceUrl : undefined);
    return url ? new URL(url).pathname.replace(/\/+$/, '') : '';
  }

  /** A link that signs `userId` in once, for `link_ttl_minutes`. */
  linkFor(userId: string): string {
    return `${this.base()}${STATUS_PATH}/login?t=${this.auth.linkToken(userId)}`;
  }

  /** Starts its own listener, when it has one. */
  async listen(): Promise<void> {
    const { config } = this.opts;
    if (config.port === undefined) return;
    const app = express();
    app.disable('x-powered-by');
    app.use(this.routes);
    app.use((_req, res) => res.status(404).type('text').send('not found'));
    const server = (this.server = createServer(app));
    const bind = config.bind ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new Error(
            `status_page: cannot listen on ${bind}:${config.port}: ${err.code === 'EADDRINUSE' ? 'another program listens there already: change status_page.port' : err.message}`,
          ),
        ),
      );
      server.listen(config.port, bind);
    });
    this.opts.log.info({ url: `${this.base()}${STATUS_PATH}/` }, 'status page listening');
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server?.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
  }
}

const hostForUrl = (bind: string) =>
  bind.includes(':') ? `[${bind}]` : bind === '0.0.0.0' ? '127.0.0.1' : bind;

/** Config warnings the page shows: things that work but probably not as the admin meant. */
export function configWarnings(config: Config, page: StatusPage | undefined): string[] {
  const warnings: string[] = [];
  if (config.admins.length === 0)
    warnings.push(
      'admins is empty: nobody may use the admin commands, nor ask the bot for a status page link',
    );
  if (page) {
    const url = new URL(page.base());
    const loopback = /^(127\.|\[::1\]$|localhost$)/.test(url.hostname);
    if (url.protocol === 'http:' && !loopback)
      warnings.push(
        `the status page is reached over plain http (${url.host}): its session cookie travels unencrypted; put it behind HTTPS and set status_page.url`,
      );
  }
  return warnings;
}

/** The version in the package's package.json (above src/ or dist/src/). */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}
