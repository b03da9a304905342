/**
 * A MUC's password given with its link (the provisioning API's `"options": {"password": …}`)
 * rather than in the config: sealed in the bridge's store (ctx.secrets), so it is sent in every
 * occupant's join after a restart too; forgotten when the portal is unlinked. Never logged.
 */
import type { BridgeContext } from '../../../src/connector.js';
import type { XmppConfig } from '../config.js';
import { mucPortal } from '../ids.js';
import type { Room } from '../muc/muc-room.js';

const passwordKey = (room: string) => `muc/${room}/password`;

type Ctx = Pick<BridgeContext<XmppConfig>, 'kv' | 'secrets' | 'log'>;

/** The link gave the room a password: stored, and sent from the next join on. */
export async function storeLinkPassword(ctx: Ctx, room: Room, password: string): Promise<void> {
  await ctx.kv.set(passwordKey(room.jid), ctx.secrets.seal(password));
  room.password = password;
  room.passwordFrom = 'link';
}

/** The room's password from its link, unless the config gives one (which wins). */
export async function restoreLinkPassword(ctx: Ctx, room: Room): Promise<void> {
  if (room.passwordFrom === 'config') return;
  const sealed = await ctx.kv.get<string>(passwordKey(room.jid));
  if (sealed === undefined) return;
  try {
    room.password = ctx.secrets.unseal(sealed);
    room.passwordFrom = 'link';
  } catch (err) {
    ctx.log.warn(
      { err, portal: mucPortal(room.jid) },
      'the MUC password stored with its link cannot be read (the secret key changed?): link it again with its password',
    );
  }
}

export function forgetLinkPassword(ctx: Ctx, room: string): Promise<void> {
  return ctx.kv.delete(passwordKey(room));
}
