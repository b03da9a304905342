/** What a call's media relay (relay.ts) is given and tells: its options, figures and quality. */
import type { QualityFigures } from './rtp-quality.js';

export interface RelayOptions {
  /** The address the RTP socket binds (and, without `publicAddress`, advertises). */
  bindAddress: string;
  /** The address put in the SIP side's SDP (NAT: the public one). */
  publicAddress?: string;
  /** STUN/TURN servers for the WebRTC leg (none by default). */
  iceServers: { urls: string; username?: string; credential?: string }[];
  /** The UDP ports the RTP socket and the WebRTC leg's ICE sockets take (default: any). */
  ports?: { min: number; max: number };
}

/** Each way's stream as the relay receives it: loss and jitter. */
export interface CallQuality {
  toSip: QualityFigures;
  toMatrix: QualityFigures;
}

export interface MediaStats {
  toSip: { packets: number; bytes: number };
  toMatrix: { packets: number; bytes: number };
  /** RTP from an address other than the negotiated one, dropped. */
  foreign: number;
  /** RTP not handed across because a side put the call on hold (its SDP direction). */
  held: number;
}
