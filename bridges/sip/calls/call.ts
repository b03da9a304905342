/** One bridged call and what its parts (outgoing, incoming, hold) need of the call list. */
import type { Logger } from 'pino';
import type { Session } from 'sip.js';
import type { CallSignal, MatrixUserId, PortalKey, RemoteUserId } from '../../../src/connector.js';
import type { SipConfig } from '../config.js';
import type { SipConnection } from '../signalling/connection.js';
import type { DialPlan } from '../parties/dial-plan.js';
import type { CallQuality, MediaStats } from '../media/relay.js';
import type { RelayHandle } from '../media/relay-pool.js';
import type { Portals } from '../parties/portals.js';

export interface Call {
  callId: string;
  portal: PortalKey;
  user: MatrixUserId;
  party: RemoteUserId;
  direction: 'outgoing' | 'incoming';
  session: Session;
  /** The SDP sent toward SIP: the Matrix offer (outgoing) or answer (incoming, once it came). */
  localSdp?: string;
  /** Our re-INVITE's offer while it is in progress (hold/resume from Matrix). */
  reoffer?: string;
  /** The phone's re-INVITE offer, between sip.js handing it over and asking for our answer. */
  remoteReoffer?: string;
  ringTimer?: NodeJS.Timeout;
  /** The call's media gateway (`media: relay`). */
  media?: RelayHandle;
  /** Set once Matrix has been told the call ended (or Matrix ended it): nothing more is sent. */
  ended: boolean;
  answered: boolean;
  /** When it was answered (Date.now()), for the end notice. */
  answeredAt?: number;
  /** The Matrix device (party id) in the call: the caller's, or the first to answer. */
  matrixParty?: string;
  /** Why the bridge itself ended the call (told in the room with the end notice). */
  endReason?: string;
}

export interface Line {
  connection: SipConnection;
  /** The user's own account, not the trunk. */
  own: boolean;
}

export interface CallCounters {
  calls: (direction: string, outcome: string) => void;
  media: (stats: MediaStats, quality: CallQuality) => void;
}

/** What the call handlers share: the bridge's parts and the call list's bookkeeping. */
export interface CallKit {
  readonly config: SipConfig;
  readonly log: Logger;
  /** The line a Matrix user calls from: their own (`sip login`) or the trunk. */
  lineOf(user: string): Line;
  readonly plan: DialPlan;
  readonly portals: Portals;
  readonly counters: CallCounters;
  readonly active: number;
  has(callId: string): boolean;
  activeOf(user: string): number;
  /** Keeps the call (list, store, session delegate) until it ends. */
  track(call: Call): void;
  newRelay(): RelayHandle;
  ringMs(lifetime?: number): number;
  /** Tells Matrix the call ended (once) and forgets it. */
  tell(call: Call, outcome: Pick<CallSignal, 'action' | 'reason'>): Promise<void>;
  emitSignal(call: Call, signal: Omit<CallSignal, 'callId'>): Promise<void>;
}
