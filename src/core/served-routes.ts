/**
 * What the appservice listener serves once start is done: provisioning, public links, the status
 * page (when it has no listener of its own), the appservice API, and plain transactions on a fast
 * path before all of them.
 */
import { Router } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../observability/metrics.js';
import { appserviceRouter, type AppserviceHandlers } from '../matrix/appservice-router.js';
import { transactionFastPath, type FastPath } from '../matrix/transaction-fast-path.js';
import { TransactionIntake } from '../matrix/transaction-intake.js';
import type { StatusPage } from '../status/index.js';
import type { Store } from '../store/store.js';
import type { BridgeRuntime } from './bridge-runtime.js';
import type { PortalLinks } from './portal-links.js';
import { provisioningRouter } from './provisioning.js';
import type { PublicLinks } from './public-links.js';
import { publicLinksRouter } from './public-links-router.js';

export function servedRoutes(deps: {
  config: Config;
  log: Logger;
  handlers: AppserviceHandlers;
  metrics: Pick<Metrics, 'transactionAnswer'>;
  links: PortalLinks;
  inbox: Store['inbox'];
  runtimes: Map<string, BridgeRuntime>;
  publicLinks?: PublicLinks;
  statusPage?: StatusPage;
}): { routes: Router; fastPath: FastPath } {
  const { config, log, handlers } = deps;
  const maxBodyBytes = config.appservice.max_body_bytes;
  const hsToken = config.appservice.hs_token;
  const intake = new TransactionIntake(
    (...args) => handlers.onTransaction(...args),
    log,
    (seconds, status) =>
      deps.metrics.transactionAnswer.observe({ status: String(status) }, seconds),
  );
  const routes = Router();
  const secret = config.provisioning.enabled ? config.provisioning.secret : undefined;
  if (secret) {
    routes.use(
      '/_switchboard/provision/v1',
      provisioningRouter({ secret, links: deps.links, inbox: deps.inbox, runtimes: deps.runtimes }),
    );
  }
  if (deps.publicLinks) routes.use(publicLinksRouter(deps.publicLinks, log));
  if (deps.statusPage && !deps.statusPage.ownListener) routes.use(deps.statusPage.routes);
  routes.use(appserviceRouter({ hsToken, handlers, maxBodyBytes, log, intake }));
  return { routes, fastPath: transactionFastPath({ hsToken, intake, maxBodyBytes }) };
}
