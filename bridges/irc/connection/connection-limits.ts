/**
 * The connection limits of one IRC network with their defaults filled in. The config keys are
 * optional (config.ts) so that a network without them reads exactly as before; the defaults live
 * here, next to the reasons for them.
 */
import type { IrcNetworkConfig } from '../config.js';

export interface ConnectionLimits {
  /** Messages that may wait for one connection to come back. */
  queueMaxMessages: number;
  /** How long, in ms, messages wait for a connection that is down before they fail (retriable). */
  queueMaxWaitMs: number;
  /** Connections of the network that may be connecting at once (0: no limit). */
  maxConcurrentConnects: number;
  /** Puppet connections at most (0: no limit). */
  maxPuppets: number;
  /** A puppet that sent nothing for this long QUITs (0: never). */
  idleTimeoutMs: number;
}

/** 100 messages / 5 minutes: a server restart or a short netsplit is ridden out, a long outage is reported. */
const QUEUE_MAX_MESSAGES = 100;
const QUEUE_MAX_WAIT_SECONDS = 300;
/**
 * Registration takes about a second on InspIRCd and most ircds: 50 at once (matrix-appservice-irc's
 * default too) bring 1,000 puppets back within a minute, and a netsplit still cannot become a
 * storm of hundreds of simultaneous registrations.
 */
const MAX_CONCURRENT_CONNECTS = 50;

export function connectionLimits(config: Partial<IrcNetworkConfig>): ConnectionLimits {
  return {
    queueMaxMessages: config.queue_while_down?.max_messages ?? QUEUE_MAX_MESSAGES,
    queueMaxWaitMs: (config.queue_while_down?.max_wait_seconds ?? QUEUE_MAX_WAIT_SECONDS) * 1000,
    maxConcurrentConnects: config.max_concurrent_connects ?? MAX_CONCURRENT_CONNECTS,
    maxPuppets: config.max_puppets ?? 0,
    idleTimeoutMs: (config.idle_timeout_hours ?? 0) * 3_600_000,
  };
}
