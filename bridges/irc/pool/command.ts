/**
 * `switchboard irc-pool`: the IRC bridge's connection pool as a process of its own (see
 * README.md, "Connection pool"). It reads `bridges.irc.pool` from the same config file as the
 * bridge, holds the connections the bridge asks for, and serves /health and /metrics on
 * `pool.http_port`. SIGTERM stops it (its connections then quit IRC).
 */
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { identSchema, poolSchema } from '../config.js';
import { servePoolHttp } from './pool-http.js';
import { IrcPool } from './pool-server.js';

export const ircPoolCommand = {
  name: 'irc-pool',
  bridge: 'irc',
  description:
    "hold the IRC bridge's connections in a process of their own (bridges.irc.pool): the bridge can restart without IRC seeing it",
  async run(
    section: Record<string, unknown> | undefined,
    log: Logger,
  ): Promise<() => Promise<void>> {
    const parsed = poolSchema.safeParse(section?.pool);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => {
        const key = ['bridges.irc.pool', ...i.path.map(String)].join('.');
        return section?.pool === undefined
          ? 'bridges.irc.pool.redis: is required for switchboard irc-pool (the Redis URL the bridge uses too)'
          : `${key}: ${i.message}`;
      });
      throw new Error(
        `the config is not valid for the IRC pool:\n  - ${[...new Set(problems)].join('\n  - ')}`,
      );
    }
    const config = parsed.data;
    // The pool holds the sockets: with `ident.enabled` it answers ident, not the bridge.
    const ident = identSchema.safeParse(section?.ident);
    if (!ident.success)
      throw new Error(
        `the config is not valid for the IRC pool:\n  - ${ident.error.issues
          .map((i) => `${['bridges.irc.ident', ...i.path.map(String)].join('.')}: ${i.message}`)
          .join('\n  - ')}`,
      );
    const pool = new IrcPool({
      redis: config.redis,
      prefix: config.prefix,
      log: log.child({ ircPool: config.prefix }),
      ...(ident.data.enabled ? { ident: ident.data } : {}),
    });
    await pool.start();
    let http: Server | undefined;
    if (config.http_port > 0) {
      http = await servePoolHttp(pool, config.http_port, config.http_bind);
      log.info(
        { port: config.http_port, bind: config.http_bind },
        'IRC pool health and metrics listening',
      );
    }
    return async () => {
      http?.close();
      await pool.stop();
    };
  },
};
