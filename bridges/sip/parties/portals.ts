/**
 * The rooms of conversations between a Matrix user and a remote party (DMs the bridge makes, or a
 * room the user linked with `sip link`), and the ghosts in them.
 */
import type {
  BridgeContext,
  MatrixRoomId,
  MatrixRoomView,
  MatrixUserId,
  PortalKey,
  RemoteEvent,
  RemoteUserId,
} from '../../../src/connector.js';
import type { SipConfig } from '../config.js';
import { dmPortal, partyFromParts } from '../ids.js';

/** A display name from a SIP header, made safe to show: no control characters, bounded. */
export function cleanDisplayName(name: string | undefined): string | undefined {
  const clean = (name ?? '').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').trim();
  return clean ? [...clean].slice(0, 64).join('') : undefined;
}

export class Portals {
  constructor(private readonly ctx: BridgeContext<SipConfig>) {}

  /** The remote party of a URI's user part and host (`hostport`), if it is a safe one. */
  partyOf(user: string | undefined, hostport: string): RemoteUserId | undefined {
    return user ? partyFromParts(user, hostport) : undefined;
  }

  /** The DM room of `user` with `party` (made and `user` invited when new); the ghost named. */
  async dm(user: MatrixUserId, party: RemoteUserId, displayName?: string): Promise<PortalKey> {
    const name = cleanDisplayName(displayName);
    await this.ctx.setGhostProfile(party, { displayName: name ? `${name} (${party})` : party });
    const key = dmPortal(user, party);
    // Invite-only: Synapse refuses call invites in public rooms (and a DM is no one else's).
    await this.ctx.ensurePortal({ key, invite: [user], isDirect: true, joinRule: 'invite' });
    return key;
  }

  /** A Matrix room by id or alias, the bot joined to it (undefined: it cannot be). */
  async room(aliasOrId: string): Promise<MatrixRoomView | undefined> {
    if (!this.ctx.matrixRoom) throw new Error('this homeserver connection cannot look rooms up');
    return this.ctx.matrixRoom(aliasOrId);
  }

  /** `roomId` stands for the conversation of `user` with `party` (`sip link`); the ghost joins. */
  async link(user: MatrixUserId, party: RemoteUserId, roomId: string): Promise<PortalKey> {
    await this.ctx.setGhostProfile(party, { displayName: party });
    const key = dmPortal(user, party);
    await this.ctx.ensurePortal({ key, roomId: roomId as MatrixRoomId });
    await this.ctx.emit({ kind: 'membership', portal: key, sender: party, membership: 'join' });
    return key;
  }

  /** The conversation of `user` with `party` has no room any more (`sip unlink`); its room, if any. */
  async unlink(user: MatrixUserId, party: RemoteUserId): Promise<string | undefined> {
    if (!this.ctx.unlinkPortal) throw new Error('this homeserver connection cannot unlink rooms');
    return (await this.ctx.unlinkPortal(dmPortal(user, party)))?.roomId;
  }

  emit(event: RemoteEvent): Promise<void> {
    return this.ctx.emit(event);
  }
}
