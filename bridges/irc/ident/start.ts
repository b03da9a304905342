/** The ident server over every network's connections, when `ident.enabled`. */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { IrcNetwork } from '../connection/client.js';
import type { IrcConnection } from '../connection/connection.js';
import { findSocket, IdentServer, type OurSocket } from './ident-server.js';

export interface IdentConfig {
  enabled: boolean;
  port: number;
  address: string;
}

/** The socket under an irc-framework client (its transport's), while there is one. */
export function socketOf(connection: IrcConnection): OurSocket | undefined {
  const transport = (
    connection.client.connection as unknown as { transport?: { socket?: Socket | null } }
  ).transport;
  return transport?.socket ?? undefined;
}

/** The ident server over every network's connections held by this process (the bridge). */
export function startIdentServer(
  config: IdentConfig,
  networks: () => Iterable<IrcNetwork>,
  log: Logger,
  onAnswer?: (answer: IdentAnswer) => void,
): Promise<IdentServer> {
  return serveIdent(
    config,
    function* () {
      for (const network of networks())
        for (const c of network.connections()) yield [c.username, socketOf(c)];
    },
    log,
    onAnswer,
  );
}

export type IdentAnswer = 'userid' | 'no-user' | 'invalid-port';

/**
 * The ident server over the sockets `sockets` lists with their usernames: the bridge's own
 * connections, or (with `pool.redis`) the pool process's, which holds the sockets then.
 */
export async function serveIdent(
  config: IdentConfig,
  sockets: () => Iterable<[string, OurSocket | undefined]>,
  log: Logger,
  onAnswer?: (answer: IdentAnswer) => void,
): Promise<IdentServer> {
  const server = new IdentServer({
    ...(onAnswer ? { onAnswer } : {}),
    port: config.port,
    address: config.address,
    log: log.child({ ident: config.port }),
    lookup: (localPort, remotePort, remoteAddress) =>
      findSocket(sockets(), localPort, remotePort, remoteAddress),
  });
  try {
    await server.start();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint =
      code === 'EACCES'
        ? ': ports below 1024 need privilege (give node CAP_NET_BIND_SERVICE, or listen on a high port and redirect 113 to it: see the IRC README)'
        : '';
    throw new Error(
      `the ident server cannot listen on ${config.address} port ${config.port} (ident.port, ident.address): ${(err as Error).message}${hint}`,
    );
  }
  return server;
}
