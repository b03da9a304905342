/** What core answers the homeserver: transactions into the inbox, queries to the bridges. */
import type { Logger } from 'pino';
import {
  hasThirdParty,
  resolvesAliases,
  resolvesGhosts,
  type ThirdPartyLocation,
  type ThirdPartyUser,
} from '../connector.js';
import { ReportedFailure, type AppserviceHandlers } from '../matrix/appservice-router.js';
import type { Metrics } from '../observability/metrics.js';
import type { AddTransactionResult, Store } from '../store/store.js';
import type { BridgeRuntime } from './bridge-runtime.js';
import type { GhostDirectory } from './ghosts.js';
import type { InboxRouter } from './inbox-router.js';
import type { RemoteDelivery } from './remote-delivery.js';
import { OwnEvents } from './own-events.js';
import type { StoreHealth } from './store-health.js';
import { TxnResets } from './txn-resets.js';
import { toRecord, type PortalDirectory } from './portals.js';

/**
 * While the bridges still have events to send, the answer to a transaction of only their own events
 * waits for those sends, at most this long: the homeserver (one transaction in flight) gathers the
 * events sent meanwhile into its next transaction, instead of a small transaction for every few
 * lines of a busy room, each an HTTP exchange on both sides. With nothing left to send it is
 * answered at once, so a Matrix user's event never waits for nothing. (bench/README.md, issue 21:
 * 2 ms measured 20–25 % more bridge CPU per line in one busy room.)
 */
export const OWN_ONLY_HOLD_MS = 8;

export function appserviceHandlers(deps: {
  store: Store;
  storeHealth: StoreHealth;
  router: InboxRouter;
  runtimes: Map<string, BridgeRuntime>;
  portals: PortalDirectory;
  ghosts: GhostDirectory;
  metrics: Metrics;
  log: Logger;
  botUserId: string;
  /** The bridges' sends to Matrix: an answer may wait for them (see OWN_ONLY_HOLD_MS). */
  delivery: Pick<RemoteDelivery, 'allSent'>;
  /** Called for each transaction from the homeserver (the status page shows when the last came). */
  onReceived?: () => void;
}): AppserviceHandlers {
  const resets = new TxnResets(deps.log);
  const own = new OwnEvents(deps.runtimes, deps.portals, deps.botUserId);
  const running = () => [...deps.runtimes.values()].filter((r) => r.state === 'running');
  const thirdParty = (protocol: string) => {
    const runtime = deps.runtimes.get(protocol);
    return runtime?.state === 'running' && hasThirdParty(runtime.connector)
      ? runtime.connector
      : undefined;
  };
  const fromAll = async <T>(ask: (r: BridgeRuntime) => Promise<T[]> | undefined): Promise<T[]> =>
    (await Promise.all(running().map((r) => ask(r) ?? []))).flat();

  return {
    async onTransaction(txnId, txn, receivedAt) {
      deps.onReceived?.();
      const events = await own.needed(txn.events);
      deps.metrics.ownEvents.inc(txn.events.length - events.length);
      if (events.length === 0 && txn.events.length > 0) {
        // Only the bridge's own events came back: nothing to store, nothing to do.
        deps.metrics.transactions.inc({ outcome: 'own' });
        for (const ev of txn.ephemeral) deps.router.enqueueEphemeral(ev);
        await deps.delivery.allSent(OWN_ONLY_HOLD_MS);
        return;
      }
      const rows = events.map((e) => ({
        eventId: e.event_id,
        roomId: e.room_id,
        json: JSON.stringify(e),
      }));
      // Stored before the 200: from here on a crash loses nothing. A store that cannot write
      // answers 500, and the homeserver sends the transaction again later. The events go to the
      // bridges once committed, while the log is flushed for the 200: only a crash of the machine
      // within that flush could lose the transaction, and its retry then sends them again.
      const byId = new Map(events.map((e) => [e.event_id, e]));
      const route = (stored: AddTransactionResult) => {
        for (const row of stored.added) deps.router.enqueue(row, byId.get(row.eventId), receivedAt);
        for (const ev of txn.ephemeral) deps.router.enqueueEphemeral(ev);
      };
      const result = await deps.store.inbox
        .addTransaction(txnId, rows, route)
        .catch((err: unknown) => {
          deps.storeHealth.failed(err); // logged there, once
          throw new ReportedFailure('the store cannot write', { cause: err });
        });
      deps.metrics.transactions.inc({ outcome: result.repeat ? 'repeat' : 'stored' });
      if (!result.repeat) resets.seen(txnId, result.txnIdReset);
    },

    async onUserQuery(userId) {
      for (const runtime of running()) {
        const remote = runtime.remoteUserOf(userId);
        if (remote === undefined || !resolvesGhosts(runtime.connector)) continue;
        const profile = await runtime.connector.resolveGhost(remote);
        if (!profile) return false;
        await deps.ghosts.setProfile(runtime, remote, profile);
        await deps.ghosts.intentFor(runtime, remote); // registers it, as the homeserver expects
        return true;
      }
      return false;
    },

    async onAliasQuery(alias) {
      for (const runtime of running()) {
        const local = runtime.aliasLocalpart(alias);
        if (local === undefined || !resolvesAliases(runtime.connector)) continue;
        const info = await runtime.connector.resolveAlias(local);
        if (!info) return false;
        const portal = await deps.portals.ensure(runtime, info, alias.slice(1, alias.indexOf(':')));
        await deps.portals.ensureAlias(alias, portal.roomId); // a portal made earlier under another alias
        // The room exists now: the bridge may bring it up to date (an IRC channel's members, say).
        await runtime.connector
          .portalLinked?.(toRecord(portal))
          .catch((err: unknown) =>
            deps.log.warn(
              { err, bridge: runtime.id, roomId: portal.roomId },
              'portalLinked failed',
            ),
          );
        return true;
      }
      return false;
    },

    async thirdPartyProtocol(protocol) {
      return thirdParty(protocol)?.thirdPartyProtocol();
    },
    async thirdPartyLocations(protocol, fields) {
      return (await thirdParty(protocol)?.thirdPartyLocations(fields)) ?? [];
    },
    async thirdPartyUsers(protocol, fields) {
      return (await thirdParty(protocol)?.thirdPartyUsers(fields)) ?? [];
    },
    async thirdPartyLocationByAlias(alias) {
      return fromAll<ThirdPartyLocation>((r) => {
        const local = r.aliasLocalpart(alias);
        if (local === undefined || !resolvesAliases(r.connector)) return undefined;
        return r.connector
          .resolveAlias(local)
          .then((info) => (info ? [{ alias, protocol: r.id, fields: { key: info.key } }] : []));
      });
    },
    async thirdPartyUserByUserId(userId) {
      return fromAll<ThirdPartyUser>((r) => {
        const remote = r.remoteUserOf(userId);
        if (remote === undefined || !hasThirdParty(r.connector)) return undefined;
        return Promise.resolve([{ userid: userId, protocol: r.id, fields: { user: remote } }]);
      });
    },
  };
}
