/**
 * A portal handed to the part of the bridge its kind belongs to (ids.ts parsePortal): a chat
 * (dm/), a private chat through a MUC, a MUC (muc/), a gateway room (gateway/).
 */
import type { BridgeContext, PortalRecord } from '../../src/connector.js';
import type { DirectChats } from './dm/dm.js';
import type { Gateway } from './gateway/gateway.js';
import { parsePortal } from './ids.js';
import type { Mucs } from './muc/muc.js';

/** The bridge's parts (undefined while it is not running). */
export interface Parts {
  dms: Pick<DirectChats, 'linked' | 'ownerLeft'> | undefined;
  mucs: Pick<Mucs, 'linked' | 'unlinked' | 'privates'> | undefined;
  gateway: Pick<Gateway, 'linked'> | undefined;
}

/** A portal known before (the store's, at start): its chat or room taken up again. */
export async function restorePortal(
  log: BridgeContext<unknown>['log'],
  { dms, mucs, gateway }: Parts,
  portal: PortalRecord,
): Promise<void> {
  const where = parsePortal(portal.key);
  if (where?.kind === 'dm') await dms?.linked(portal.key);
  if (where?.kind === 'private')
    await mucs?.privates.linked(portal.key, where.room, where.nick, where.owner);
  if (where?.kind === 'muc') await mucs?.linked(where.room);
  if (where?.kind === 'gateway')
    await gateway
      ?.linked(where.target)
      .catch((err: unknown) => log.warn({ err, portal: portal.key }, 'gateway room not restored'));
}

/** The portal was unlinked: its chat's owner is gone, or the MUC's occupants leave. */
export async function unlinkPortal({ dms, mucs }: Parts, portal: PortalRecord): Promise<void> {
  const where = parsePortal(portal.key);
  if (where?.kind === 'dm' || where?.kind === 'private') await dms?.ownerLeft(portal.key);
  if (where?.kind === 'muc') await mucs?.unlinked(where.room);
}
