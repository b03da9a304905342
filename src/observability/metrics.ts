/**
 * Prometheus metrics of one bridge process, in a registry of its own (not
 * prom-client's global one) so tests and embedders can make several.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const METRIC_PREFIX = 'switchboard_';

/** Which way an event travels; the `direction` label takes these values. */
export type Direction = 'to_matrix' | 'to_network';

export interface Metrics {
  readonly registry: Registry;
  /** Appservice transactions from the homeserver, by `outcome` (e.g. `ok`, `duplicate`, `error`). */
  readonly transactions: Counter<'outcome'>;
  /**
   * Seconds from a transaction's body arriving to its answer being ready (a 200 once it is stored
   * durably), by HTTP `status`: the homeserver sends the next transaction only after this one's
   * answer, so this is what a room's events wait for while one is answered.
   */
  readonly transactionAnswer: Histogram<'status'>;
  /** Events handled, by event `type`, `bridge` id and `direction`. */
  readonly events: Counter<'type' | 'bridge' | 'direction'>;
  /**
   * Seconds from an event reaching the bridge (its transaction from the homeserver; a bridge's
   * emit) to the other side accepting it: storing and queueing included. For an event replayed
   * after a restart, from when it was picked up again.
   */
  readonly sendLatency: Histogram<'direction' | 'bridge'>;
  /** Events waiting in the per-portal queues. */
  readonly queueDepth: Gauge<'direction'>;
  /** Events that failed for good, by `reason` (a short code, never free text). */
  readonly failures: Counter<'direction' | 'bridge' | 'reason'>;
  /** Remote → Matrix sends stored in the outbox and not yet accepted. */
  readonly outboxPending: Gauge;
  /** 1 while the store writes, 0 from a failed write until a probe write goes through. */
  readonly storeWritable: Gauge;
  /** Writes to the store that failed (a full disk, a read-only file, PostgreSQL gone). */
  readonly storeFailures: Counter;
  /** The bridge's own events pushed back by the homeserver and dropped on arrival (nothing to relay). */
  readonly ownEvents: Counter;
}

export interface MetricsOptions {
  /** Process metrics (CPU, memory, event loop, GC); on by default. */
  defaultMetrics?: boolean;
}

/**
 * Fine below 10 ms, where a healthy bridge sits (its p99 readable to the millisecond), and up to
 * a minute: sends retried through a 429 or an outage still land in a bucket.
 */
const LATENCY_BUCKETS = [
  0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
  10, 30, 60,
];

/**
 * A healthy answer is a commit and a log sync, under a few ms (finer below 1 ms); a slow disk or a
 * store that waits for PostgreSQL lands higher.
 */
const ANSWER_BUCKETS = [
  0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25,
  0.5, 1, 2.5, 5, 10, 30,
];

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const metrics: Metrics = {
    registry,
    transactions: new Counter({
      name: `${METRIC_PREFIX}transactions_total`,
      help: 'Appservice transactions received from the homeserver, by outcome.',
      labelNames: ['outcome'] as const,
      registers,
    }),
    transactionAnswer: new Histogram({
      name: `${METRIC_PREFIX}transaction_answer_seconds`,
      help: "Seconds from a homeserver transaction's body arriving to its answer (200 once stored).",
      labelNames: ['status'] as const,
      buckets: ANSWER_BUCKETS,
      registers,
    }),
    events: new Counter({
      name: `${METRIC_PREFIX}events_total`,
      help: 'Events bridged, by event type, bridge and direction (to_matrix, to_network).',
      labelNames: ['type', 'bridge', 'direction'] as const,
      registers,
    }),
    sendLatency: new Histogram({
      name: `${METRIC_PREFIX}send_latency_seconds`,
      help: 'Seconds from an event reaching the bridge to the other side accepting it.',
      labelNames: ['direction', 'bridge'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    queueDepth: new Gauge({
      name: `${METRIC_PREFIX}queue_depth`,
      help: 'Events waiting in the per-portal queues, by direction.',
      labelNames: ['direction'] as const,
      registers,
    }),
    failures: new Counter({
      name: `${METRIC_PREFIX}failures_total`,
      help: 'Events that could not be bridged, by direction, bridge and reason.',
      labelNames: ['direction', 'bridge', 'reason'] as const,
      registers,
    }),
    outboxPending: new Gauge({
      name: `${METRIC_PREFIX}outbox_pending`,
      help: 'Sends to Matrix stored in the outbox and not yet accepted.',
      registers,
    }),
    storeWritable: new Gauge({
      name: `${METRIC_PREFIX}store_writable`,
      help: '1 while the database takes writes; 0 from a failed write until a probe write goes through.',
      registers,
    }),
    ownEvents: new Counter({
      name: `${METRIC_PREFIX}own_events_total`,
      help: "The bridge's own events (its ghosts', its bot's) pushed back by the homeserver and dropped on arrival: nothing to relay.",
      registers,
    }),
    storeFailures: new Counter({
      name: `${METRIC_PREFIX}store_write_failures_total`,
      help: 'Writes to the database that failed (a full disk, a read-only file, PostgreSQL gone).',
      registers,
    }),
  };
  if (opts.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  }
  return metrics;
}
