/** The pool's side of a connection's options: what its `open` command says (`pool.redis`). */
import type { PoolConnectOptions } from '../pool/pool-transport.js';
import type { ConnectionOptions, SaslAccount } from './connection.js';
import { CAPS } from './lines.js';

/** The pool options of a connection through the pool, asking for `nick`. */
export function poolConnectOptions(
  opts: ConnectionOptions,
  nick: string,
  pool: NonNullable<ConnectionOptions['pool']>,
  ca: string | undefined,
  account: SaslAccount | undefined,
): PoolConnectOptions {
  const { network } = opts;
  return {
    link: pool.link,
    conn: pool.conn,
    listener: opts.listener === true,
    open: {
      network: pool.network,
      kind: opts.listener ? 'bot' : 'puppet',
      ...(pool.userId ? { userId: pool.userId } : {}),
      host: network.host,
      port: network.port,
      tls: network.tls,
      rejectUnauthorized: network.tls_reject_unauthorized,
      ...(ca ? { ca } : {}),
      nick: nick,
      username: opts.username,
      gecos: opts.gecos,
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      ...(account ? { account } : {}),
      caps: CAPS,
      // A puppet's channels are heard through the bot: the pool forwards only its own lines.
      forward: opts.listener ? 'all' : 'own',
    },
  };
}
