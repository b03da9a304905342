/**
 * The bridge's HTTP listener. It binds first thing at start, so a port in use stops the bridge at
 * once; requests other than the health checks wait until start has replayed the inbox and routes
 * them (an early transaction must not overtake replayed ones).
 */
import { createServer, type Server } from 'node:http';
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { FastPath } from '../matrix/transaction-fast-path.js';
import { EXIT, StartupError } from './startup-checks.js';

export class Listener {
  private readonly app = express();
  private server?: Server;
  private routes?: RequestHandler;
  /** Plain transactions, taken before Express once routes are set (transaction-fast-path.ts). */
  private fastPath?: FastPath;
  private waiting: (() => void)[] = [];

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    /** Mounted before the wait: `/health`, `/ready`, `/metrics`. */
    always: RequestHandler,
  ) {
    this.app.disable('x-powered-by');
    this.app.use(always);
    this.app.use((req, res, next) => {
      if (this.routes) return this.routes(req, res, next);
      this.waiting.push(() =>
        this.routes
          ? this.routes(req, res, next)
          : res.status(503).json({ errcode: 'M_UNKNOWN', error: 'the bridge is stopping' }),
      );
    });
    this.app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      log.error({ err }, 'request failed');
      if (!res.headersSent) res.status(500).json({ errcode: 'M_UNKNOWN', error: 'internal error' });
    });
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : this.config.appservice.port;
  }

  async bind(): Promise<void> {
    const { bind, port } = this.config.appservice;
    // Not `app.listen`: Express 5 hands a bind error to its callback, where it passes as success.
    const server = (this.server = createServer((req, res) => {
      if (!this.fastPath?.(req, res)) this.app(req, res);
    }));
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', (err: NodeJS.ErrnoException) => reject(this.bindError(err)));
      server.listen(port, bind);
    });
  }

  /** From now on requests reach `routes` (plain transactions `fastPath`), those that waited first. */
  route(routes: RequestHandler, fastPath?: FastPath): void {
    this.routes = routes;
    this.release();
    this.fastPath = fastPath;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server?.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    this.release(); // waiting requests get their answer (503 while stopping before routes)
    server.closeIdleConnections();
    await closed;
  }

  private release(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const go of waiting) go();
  }

  private bindError(err: NodeJS.ErrnoException): StartupError {
    const { bind, port } = this.config.appservice;
    const why =
      err.code === 'EADDRINUSE'
        ? 'another program (or another switchboard) listens there already: stop it, or change appservice.port and the url in the registration'
        : err.code === 'EADDRNOTAVAIL'
          ? 'no network interface of this machine has that address: check appservice.bind'
          : err.code === 'EACCES'
            ? 'ports below 1024 need privileges: choose another appservice.port'
            : err.message;
    this.log.debug({ err }, 'bind failed');
    return new StartupError(`cannot listen on ${bind}:${port}: ${why}`, EXIT.listen);
  }
}
