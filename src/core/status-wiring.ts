/** The admins' status page made from core's parts, when `status_page.enabled`. */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../observability/metrics.js';
import type { HomeserverWatch } from '../status/health.js';
import { configWarnings, packageVersion, StatusPage } from '../status/index.js';
import { StatusSource } from '../status/snapshot.js';
import type { TrafficRing } from '../status/traffic.js';
import type { Store } from '../store/store.js';
import type { BridgeRuntime } from './bridge-runtime.js';
import type { SecretKey } from './secret-key.js';
import { EXIT, StartupError } from './startup-checks.js';

/** The status page, or undefined when it is disabled; a bad page config is a StartupError. */
export function statusPageFor(
  config: Config,
  deps: {
    startedAt: number;
    runtimes: Map<string, BridgeRuntime>;
    metrics: Metrics;
    store: () => Store;
    databaseWhere: string;
    homeserver: HomeserverWatch;
    traffic: TrafficRing;
    problems: () => string[];
    secretKey: SecretKey;
    retry(eventId: string): Promise<boolean>;
    log: Logger;
  },
): StatusPage | undefined {
  if (!config.status_page.enabled) return undefined;
  let page: StatusPage | undefined;
  const source = new StatusSource({
    version: packageVersion(),
    startedAt: deps.startedAt,
    runtimes: deps.runtimes,
    metrics: deps.metrics,
    store: deps.store,
    databaseWhere: deps.databaseWhere,
    homeserver: deps.homeserver,
    traffic: deps.traffic,
    warnings: () => configWarnings(config, page),
    problems: deps.problems,
  });
  try {
    page = new StatusPage({
      config: config.status_page,
      appserviceUrl: config.appservice.url,
      key: () => deps.secretKey.derive('status-page'),
      source,
      retry: deps.retry,
      log: deps.log,
    });
  } catch (err) {
    throw new StartupError((err as Error).message, EXIT.config);
  }
  return page;
}
