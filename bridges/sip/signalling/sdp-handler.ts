/**
 * sip.js's SessionDescriptionHandler for a bridged call: no media of its own here, it hands SDP
 * between the two sides. Toward SIP it offers (outgoing call) or answers (incoming call) with the
 * SDP the call's media side gives (`local`), and it hands the far end's SDP to `onRemote`.
 */
import type { BodyAndContentType, SessionDescriptionHandler } from 'sip.js';

export interface SdpSide {
  /** The SDP to send toward SIP (an offer for an outgoing call, an answer for an incoming one). */
  local(): Promise<string>;
  /** The SIP side's SDP (an answer to our offer, the offer of an incoming call or re-INVITE). */
  onRemote(sdp: string): void;
}

export class BridgedSdh implements SessionDescriptionHandler {
  constructor(private readonly side: SdpSide | undefined) {}

  close(): void {}

  async getDescription(): Promise<BodyAndContentType> {
    if (!this.side) throw new Error('no call for this SIP session');
    return { contentType: 'application/sdp', body: await this.side.local() };
  }

  hasDescription(contentType: string): boolean {
    return contentType === 'application/sdp';
  }

  async setDescription(sdp: string): Promise<void> {
    if (!this.side) throw new Error('no call for this SIP session');
    if (!/^v=0\r?\n/.test(sdp)) throw new Error('not an SDP session description');
    this.side.onRemote(sdp);
  }

  sendDtmf(): boolean {
    return false;
  }
}
