/** Pruning what is kept only for a while: finished inbox events and the texts of expired links. */
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import type { PublicLinks } from './public-links.js';

export async function pruneExpired(deps: {
  inbox: Store['inbox'];
  retentionDays: number;
  publicLinks?: PublicLinks;
  log: Logger;
}): Promise<void> {
  const { log } = deps;
  const cutoff = Date.now() - deps.retentionDays * 86_400_000;
  const removed = await deps.inbox.prune(cutoff).catch((err: unknown) => {
    log.warn({ err }, 'pruning the inbox failed');
    return 0;
  });
  if (removed) log.info({ removed }, 'pruned finished inbox events');
  const texts = await deps.publicLinks?.prune().catch((err: unknown) => {
    log.warn({ err }, 'pruning the texts of expired public links failed');
    return 0;
  });
  if (texts) log.info({ removed: texts }, 'pruned the texts of expired public links');
}
