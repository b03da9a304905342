/**
 * Operational HTTP endpoints: Prometheus scrape, liveness and readiness.
 * Mounted by the entry point, usually on a port apart from the appservice's.
 */
import { Router, type Response } from 'express';
import type { Metrics } from './metrics.js';

export interface ObservabilityOptions {
  metrics: Pick<Metrics, 'registry'>;
  /** True once the bridge takes traffic (store open, homeserver reached, connectors started). */
  ready: () => boolean | Promise<boolean>;
  /** What is wrong now (the store cannot write, say); none when all is well. */
  problems?: () => string[];
}

/** Health answers must never come from a cache between the prober and the process. */
const noStore = (res: Response) => res.set('Cache-Control', 'no-store');

export function observabilityRouter(opts: ObservabilityOptions): Router {
  const router = Router();

  router.get('/metrics', async (_req, res) => {
    const { registry } = opts.metrics;
    const body = await registry.metrics();
    noStore(res).type(registry.contentType).send(body);
  });

  // Answering at all shows the process lives; a known problem makes it 503 with the cause.
  router.get('/health', (_req, res) => {
    const problems = opts.problems?.() ?? [];
    if (problems.length) noStore(res).status(503).json({ status: 'failing', problems });
    else noStore(res).json({ status: 'ok' });
  });

  router.get('/ready', async (_req, res) => {
    let ready = false;
    try {
      ready = (await opts.ready()) === true;
    } catch {
      ready = false; // a failing check means not ready, not a 500
    }
    const problems = opts.problems?.() ?? [];
    if (problems.length) noStore(res).status(503).json({ status: 'failing', problems });
    else
      noStore(res)
        .status(ready ? 200 : 503)
        .json({ status: ready ? 'ready' : 'starting' });
  });

  return router;
}
