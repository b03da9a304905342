/**
 * Who may enter a Matrix room through the gateway: anyone when it is public; else only an XMPP
 * user whose ghost the room invited (or has in it already). Refusals are XEP-0045 §7.2's: a
 * members-only room answers `registration-required`.
 */
import type { GwRoom } from './gateway-room.js';

export interface Refusal {
  type: 'auth' | 'cancel';
  condition: string;
  text: string;
}

export function refusal(room: GwRoom, bare: string): Refusal | undefined {
  if (room.joinRule === 'public' || room.admitted.has(bare)) return undefined;
  return {
    type: 'auth',
    condition: 'registration-required',
    text: `${room.target} is not a public room: a member has to invite your Matrix user first`,
  };
}
