/**
 * Everything the status page shows, gathered in one place: the page, its live fragment and the
 * JSON endpoint all render the same snapshot. Nothing secret goes in (no tokens, no passwords,
 * no database credentials, no sealed values).
 */
import type { Registry } from 'prom-client';
import type { Metrics } from '../observability/metrics.js';
import type { BridgeRuntime } from '../core/bridge-runtime.js';
import type { FailedEvent, PortalSummary, Store } from '../store/store.js';
import type { HomeserverStatus, HomeserverWatch } from './health.js';
import { latencies, type Latency, type TrafficChart, type TrafficRing } from './traffic.js';
import { METRIC_PREFIX } from '../observability/metrics.js';

export const PAGE_SIZE = 50;

export interface BridgeStatus {
  id: string;
  name: string;
  state: string;
  reason?: string;
  /** From the bridge's `connections` gauge: per network (or `all`), counts by state. */
  connections: { network: string; states: Record<string, number> }[];
}

export interface StatusSnapshot {
  version: string;
  startedAt: number;
  uptimeSeconds: number;
  now: number;
  database: { kind: 'sqlite' | 'postgres'; where: string; sizeBytes?: number };
  warnings: string[];
  problems: string[];
  homeserver: HomeserverStatus;
  bridges: BridgeStatus[];
  backlog: { inbox: number; outbox: number };
  queues: { to_network: number; to_matrix: number };
  latency: Latency[];
  traffic: TrafficChart;
  failures: FailedEvent[];
  refused: { bridge: string | null; reason: string | null; count: number; last: number }[];
}

export interface PortalQuery {
  search?: string;
  bridge?: string;
  page: number;
}

export interface PortalPage {
  query: PortalQuery;
  total: number;
  pages: number;
  rows: PortalSummary[];
}

export interface StatusSourceDeps {
  version: string;
  startedAt: number;
  runtimes: Map<string, BridgeRuntime>;
  metrics: Metrics;
  store: () => Store;
  databaseWhere: string;
  homeserver: HomeserverWatch;
  traffic: TrafficRing;
  warnings: () => string[];
  problems: () => string[];
  now?: () => number;
}

export class StatusSource {
  constructor(private readonly deps: StatusSourceDeps) {}

  async snapshot(): Promise<StatusSnapshot> {
    const { deps } = this;
    const store = deps.store();
    const now = (deps.now ?? Date.now)();
    await deps.traffic.sample(deps.metrics.events);
    const [homeserver, backlog, sizeBytes, failures, refused, latency, connections, queues] =
      await Promise.all([
        deps.homeserver.current(),
        store.status.backlog(),
        store.status.sizeBytes().catch(() => undefined),
        store.status.recentFailures(20),
        store.status.failureReasons(20),
        latencies(deps.metrics.sendLatency),
        bridgeConnections(deps.metrics.registry, [...deps.runtimes.keys()]),
        queueDepths(deps.metrics),
      ]);
    return {
      version: deps.version,
      startedAt: deps.startedAt,
      uptimeSeconds: Math.round((now - deps.startedAt) / 1000),
      now,
      database: {
        kind: store.dialect,
        where: deps.databaseWhere,
        ...(sizeBytes !== undefined ? { sizeBytes } : {}),
      },
      warnings: deps.warnings(),
      problems: deps.problems(),
      homeserver,
      bridges: [...deps.runtimes.values()].map((r) => ({
        id: r.id,
        name: r.connector.displayName,
        state: r.state,
        ...(r.stateReason ? { reason: r.stateReason } : {}),
        connections: connections.get(r.id) ?? [],
      })),
      backlog,
      queues,
      latency,
      traffic: deps.traffic.chart(deps.runtimes.keys()),
      failures,
      refused,
    };
  }

  async portals(query: PortalQuery): Promise<PortalPage> {
    const page = Math.max(1, Math.floor(query.page) || 1);
    const { total, rows } = await this.deps.store().status.portalsPage({
      ...(query.search ? { search: query.search } : {}),
      ...(query.bridge ? { bridge: query.bridge } : {}),
      offset: (page - 1) * PAGE_SIZE,
      limit: PAGE_SIZE,
    });
    return {
      query: { ...query, page },
      total,
      pages: Math.max(1, Math.ceil(total / PAGE_SIZE)),
      rows,
    };
  }

  roomOutcomes(roomId: string) {
    return this.deps.store().status.roomOutcomes(roomId, 50);
  }
}

async function queueDepths(metrics: Metrics): Promise<StatusSnapshot['queues']> {
  const { values } = await metrics.queueDepth.get();
  const depth = (d: string) => values.find((v) => v.labels.direction === d)?.value ?? 0;
  return { to_network: depth('to_network'), to_matrix: depth('to_matrix') };
}

/**
 * Connections as the bridges report them: a gauge `switchboard_<bridge>_connections` with a
 * `state` label (and a `network` label when the bridge has several networks). Any bridge that
 * adds such a gauge shows up, without core knowing its kind of connection.
 */
export async function bridgeConnections(
  registry: Registry,
  bridges: string[],
): Promise<Map<string, BridgeStatus['connections']>> {
  const out = new Map<string, BridgeStatus['connections']>();
  for (const bridge of bridges) {
    const metric = registry.getSingleMetric(
      `${METRIC_PREFIX}${bridge.replace(/-/g, '_')}_connections`,
    );
    if (!metric) continue;
    const { values } = await metric.get();
    const networks = new Map<string, Record<string, number>>();
    for (const { labels, value } of values) {
      const network = String(labels.network ?? 'all');
      const state = String(labels.state ?? 'up');
      const states = networks.get(network) ?? {};
      states[state] = (states[state] ?? 0) + value;
      networks.set(network, states);
    }
    out.set(
      bridge,
      [...networks].map(([network, states]) => ({ network, states })),
    );
  }
  return out;
}
