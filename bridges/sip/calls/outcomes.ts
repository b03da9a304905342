/** How a SIP call's final failure response reads in Matrix VoIP (see sip-calls.ts). */
import type { CallSignal } from '../../../src/connector.js';

/** What Matrix is told of a SIP final failure response. */
export function outcomeOfStatus(status: number): Pick<CallSignal, 'action' | 'reason'> {
  if (status === 486 || status === 600) return { action: 'hangup', reason: 'user_busy' };
  if (status === 408 || status === 480) return { action: 'hangup', reason: 'invite_timeout' };
  if (status === 603) return { action: 'reject' };
  if (status === 487) return { action: 'hangup', reason: 'user_hangup' };
  return { action: 'hangup', reason: 'unknown_error' };
}
