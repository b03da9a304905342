/**
 * What a connection asks irc-framework's connect for: the server, TLS, nick and user, SASL, and
 * through the connection pool (`pool.redis`) what the pool's `open` command says.
 */
import type { ConnectOptions } from 'irc-framework';
import { readCaFile } from '../config.js';
import { forwardsToPuppet } from '../pool/forward.js';
import { PoolTransport, type PoolConnectOptions } from '../pool/pool-transport.js';
import type { ConnectionOptions, SaslAccount } from './connection.js';
import { CAPS } from './lines.js';
import { CaTlsTransport } from './tls-transport.js';

/**
 * The options of a (re)connect asking for `nick`; `currentNick` is the nick the connection holds
 * when a line arrives (a puppet keeps only lines for it).
 */
export function connectOptions(
  opts: ConnectionOptions,
  nick: string,
  currentNick: () => string,
): ConnectOptions {
  const { network } = opts;
  const account = opts.account?.();
  const ca = network.tls_ca_file === undefined ? undefined : readCaFile(network.tls_ca_file);
  const pool = opts.pool && poolConnectOptions(opts, nick, opts.pool, ca, account);
  return {
    host: network.host,
    port: network.port,
    tls: network.tls,
    rejectUnauthorized: network.tls_reject_unauthorized,
    ca,
    transport: pool ? PoolTransport : CaTlsTransport,
    nick,
    username: opts.username,
    gecos: opts.gecos,
    ...(opts.localAddress ? { outgoing_addr: opts.localAddress } : {}),
    // A puppet hears its channels' chatter as the bot does; only the bot's is read (forward.ts).
    ...(opts.listener ? {} : { keepLine: (line: string) => forwardsToPuppet(line, currentNick()) }),
    auto_reconnect: false, // the connection's own backoff
    version: null,
    // Through the pool, the pool logs in (SASL) and the local client never asks for it.
    ...(pool ? { pool } : account ? { account } : {}),
  };
}

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
