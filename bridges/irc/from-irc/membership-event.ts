/** A ghost's membership change as a remote event, with when and why it changed. */
import type { RemoteEvent, RemoteUserId } from '../../../src/connector.js';
import { makePortalKey, makeRemoteUser } from '../ids.js';
import { ts } from './emitter.js';

export type Membership = 'join' | 'leave' | 'kick';

/** When and why a membership changed (IRC's time, its reason, who kicked). */
export interface Why {
  time?: number | undefined;
  reason?: string | undefined;
  actor?: RemoteUserId;
}

/** The time and reason of a PART, QUIT or KICK line. */
export const at = (e: { time?: number; message?: string }): Why => ({
  time: e.time,
  reason: e.message,
});

/** Why a ghost leaves whose user left the channel while the bridge was not there to see it. */
export const AWAY: Why = { reason: 'left while the bridge was away' };

export function membershipEvent(
  networkId: string,
  channel: string,
  nick: string,
  membership: Membership,
  { time, reason, actor }: Why,
): RemoteEvent {
  return {
    kind: 'membership',
    portal: makePortalKey(networkId, channel),
    sender: makeRemoteUser(networkId, nick),
    membership,
    ...(reason ? { reason } : {}),
    ...(actor ? { actor } : {}),
    ...ts(time),
  };
}
