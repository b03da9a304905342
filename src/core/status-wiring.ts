/** The admins' status page made from core's parts, when `status_page.enabled`. */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { configWarnings, packageVersion, StatusPage } from '../status/index.js';
import { StatusSource, type StatusSourceDeps } from '../status/snapshot.js';
import type { SecretKey } from './secret-key.js';
import { EXIT, StartupError } from './startup-checks.js';

/** The status page, or undefined when it is disabled; a bad page config is a StartupError. */
export function statusPageFor(
  config: Config,
  deps: Omit<StatusSourceDeps, 'version' | 'warnings' | 'now'> & {
    secretKey: SecretKey;
    retry(eventId: string): Promise<boolean>;
    log: Logger;
  },
): StatusPage | undefined {
  if (!config.status_page.enabled) return undefined;
  const { secretKey, retry, log, ...sourceDeps } = deps;
  let page: StatusPage | undefined;
  const source = new StatusSource({
    version: packageVersion(),
    ...sourceDeps,
    warnings: () => configWarnings(config, page),
  });
  try {
    page = new StatusPage({
      config: config.status_page,
      appserviceUrl: config.appservice.url,
      key: () => secretKey.derive('status-page'),
      source,
      retry,
      log,
    });
  } catch (err) {
    throw new StartupError((err as Error).message, EXIT.config);
  }
  return page;
}
