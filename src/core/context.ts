/** The `BridgeContext` core hands each connector at start. */
import type { Logger } from 'pino';
import type { Intent } from '../matrix/intent.js';
import type { BridgeContext, KeyValueStore } from '../connector.js';
import type { MatrixClient } from '../matrix/client.js';
import { bridgeMetrics } from '../observability/bridge-metrics.js';
import type { Metrics } from '../observability/metrics.js';
import type { KeyValue } from '../store/store.js';
import type { BridgeRuntime } from './bridge-runtime.js';
import type { GhostDirectory } from './ghosts.js';
import { toRecord, type PortalDirectory } from './portals.js';
import type { PublicLinks } from './public-links.js';
import type { RemoteDelivery } from './remote-delivery.js';
import { readMatrixRoom } from './matrix-room-view.js';
import { Sealer, type SecretKey } from './secret-key.js';

export function bridgeContext(
  runtime: BridgeRuntime,
  deps: {
    domain: string;
    log: Logger;
    kv: KeyValue;
    portals: PortalDirectory;
    ghosts: GhostDirectory;
    delivery: RemoteDelivery;
    client: MatrixClient;
    secretKey: SecretKey;
    metrics: Metrics;
    /** Absent when `public_links` is not set: `publicLink` then answers undefined. */
    publicLinks?: PublicLinks;
    notify(userId: string, text: string): Promise<boolean>;
    /** The bridge bot or a ghost of any bridge (`bridged` in a MatrixRoomView's members). */
    isBridgeUser(userId: string): boolean;
  },
): BridgeContext<unknown> {
  const namespace = `bridge:${runtime.id}`;
  const kv: KeyValueStore = {
    get: async <T>(key: string) => {
      const raw = await deps.kv.get(namespace, key);
      return raw === undefined ? undefined : (JSON.parse(raw) as T);
    },
    set: (key, value) => deps.kv.set(namespace, key, JSON.stringify(value)),
    delete: (key) => deps.kv.delete(namespace, key),
  };
  let bridgeKey: Buffer | undefined;
  const secrets = new Sealer(() => (bridgeKey ??= deps.secretKey.derive(namespace)));
  const roomOf = async (portal: string) => (await deps.portals.get(runtime.id, portal))?.roomId;
  return {
    config: runtime.config,
    log: deps.log.child({ bridge: runtime.id }),
    domain: deps.domain,
    emit: (event, opts) => deps.delivery.emit(runtime, event, opts),
    setGhostProfile: (user, profile) => deps.ghosts.setProfile(runtime, user, profile),
    ghostUserId: (user) => runtime.ghostUserId(user),
    ghostRemoteId: (userId) => runtime.remoteUserOf(userId),
    downloadMedia: (mxc) => deps.client.downloadMedia(mxc),
    uploadMedia: (data, opts) => deps.client.uploadMedia(data, opts.contentType, opts.filename),
    portalAlias: (localpart) => `#${runtime.prefix}${localpart}:${deps.domain}`,
    ensurePortal: async (info) => toRecord(await deps.portals.ensure(runtime, info)),
    portals: async () => (await deps.portals.list(runtime.id)).map(toRecord),
    renamePortal: async (from, to) => {
      const row = await deps.portals.get(runtime.id, from);
      if (!row || (await deps.portals.get(runtime.id, to))) return undefined;
      const renamed = await deps.portals.link(runtime, to, row.roomId);
      await deps.portals.unlink(runtime.id, from);
      deps.log.info({ bridge: runtime.id, from, to, roomId: row.roomId }, 'portal renamed');
      return toRecord(renamed);
    },
    unlinkPortal: async (portal) => {
      const row = await deps.portals.unlink(runtime.id, portal);
      if (!row) return undefined;
      const record = toRecord(row);
      deps.log.info(
        { bridge: runtime.id, portal, roomId: row.roomId },
        'portal unlinked by the bridge',
      );
      await runtime.connector.portalUnlinked?.(record);
      return record;
    },
    invite: async (portal, userId, opts) => {
      const roomId = await roomOf(portal);
      if (!roomId) throw new Error(`no room for ${portal}`);
      /** Invites as the bot, or as a ghost (which reads the membership too). */
      const inviteAs = async (ghost?: Intent) => {
        const member = await deps.client.getState(roomId, 'm.room.member', userId, ghost?.userId);
        const membership = (member as { membership?: unknown } | undefined)?.membership;
        if (membership === 'join' || membership === 'invite') return;
        if (ghost) await ghost.invite(roomId, userId);
        else await deps.client.invite(roomId, userId);
      };
      try {
        await inviteAs();
      } catch (err) {
        // The bot may not (a room it is not in): the ghost, who is, invites.
        if (!opts?.as || (err as { errcode?: string }).errcode !== 'M_FORBIDDEN') throw err;
        await inviteAs(await deps.ghosts.intentFor(runtime, opts.as));
      }
    },
    portalGhosts: async (portal) => {
      const roomId = await roomOf(portal);
      if (!roomId) return [];
      const joined = await deps.client.joinedMembers(roomId);
      return Object.keys(joined).flatMap((userId) => {
        const remote = runtime.remoteUserOf(userId);
        return remote ? [remote] : [];
      });
    },
    matrixRoom: async (aliasOrId, opts) => {
      const bridged = (userId: string) => deps.isBridgeUser(userId);
      if (!opts?.as) return readMatrixRoom(deps.client, aliasOrId, undefined, bridged);
      await deps.ghosts.intentFor(runtime, opts.as); // registered before it acts
      return readMatrixRoom(deps.client, aliasOrId, runtime.ghostUserId(opts.as), bridged);
    },
    kv,
    metrics: bridgeMetrics(deps.metrics.registry, runtime.id),
    notify: (userId, text) => deps.notify(userId, text),
    secrets: { seal: (text) => secrets.seal(text), unseal: (sealed) => secrets.unseal(sealed) },
    publicLink: async (target) => deps.publicLinks?.link(target),
  };
}
