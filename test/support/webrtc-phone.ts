// The Matrix client's side of a call in the SIP tests: a werift WebRTC peer (ICE, DTLS-SRTP, PCMU)
// that makes or answers the SDP the test sends through Synapse in m.call.* events, sends a known
// pattern of RTP packets and records what comes back.
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtpHeader,
  RtpPacket,
} from 'werift';

/** The telephone-event (RFC 4733) payload type this Matrix client offers. */
export const TE = 110;

const codecs = {
  audio: [
    new RTCRtpCodecParameters({
      mimeType: 'audio/PCMU',
      clockRate: 8000,
      channels: 1,
      payloadType: 0,
    }),
    // Not the bridge's own 101: the relay has to map payload types between its two legs.
    new RTCRtpCodecParameters({
      mimeType: 'audio/telephone-event',
      clockRate: 8000,
      payloadType: TE,
      parameters: '0-15',
    }),
  ],
};

/** Packet `i` of the test pattern: 160 bytes (20 ms of PCMU), a tag and its index in front. */
export const patternPayload = (i: number): Buffer => {
  const payload = Buffer.alloc(160, 0x7f);
  payload.write('SWBT', 0, 'latin1');
  payload.writeUInt32BE(i, 4);
  return payload;
};

export interface Candidate {
  candidate: string;
  sdpMid?: string;
  sdpMLineIndex: number;
}

/**
 * The SDP without its ICE candidates, and the candidates as m.call.candidates carries them: what
 * a Matrix client that trickles (Element) sends in the invite or answer, and after it.
 */
export function splitCandidates(sdp: string): { sdp: string; candidates: Candidate[] } {
  const candidates: Candidate[] = [];
  let mid: string | undefined;
  let index = -1;
  const kept = sdp.split('\r\n').filter((line) => {
    if (line.startsWith('m=')) index++;
    if (line.startsWith('a=mid:')) mid = line.slice('a=mid:'.length);
    if (line.startsWith('a=candidate:')) {
      candidates.push({
        candidate: line.slice(2),
        ...(mid ? { sdpMid: mid } : {}),
        sdpMLineIndex: index,
      });
      return false;
    }
    return line !== 'a=end-of-candidates';
  });
  return { sdp: kept.join('\r\n'), candidates };
}

/** PCMA (A-law) too, after PCMU: a client that takes either. */
const PCMA = new RTCRtpCodecParameters({
  mimeType: 'audio/PCMA',
  clockRate: 8000,
  channels: 1,
  payloadType: 8,
});

export class WebrtcPhone {
  readonly pc: RTCPeerConnection;
  private readonly track = new MediaStreamTrack({ kind: 'audio' });
  /** Payloads received, in order. */
  readonly received: Buffer[] = [];
  /** The payload type of each of `received`. */
  readonly receivedTypes: number[] = [];
  /** RFC 4733 telephone-event payloads received (the payload type this phone negotiated). */
  readonly events: { payloadType: number; event: number; end: boolean }[] = [];

  constructor(opts: { pcma?: boolean } = {}) {
    this.pc = new RTCPeerConnection({
      codecs: opts.pcma ? { audio: [codecs.audio[0]!, PCMA, codecs.audio[1]!] } : codecs,
      iceServers: [],
    });
    // werift tells a track again at each re-negotiation: one subscription each.
    const seen = new WeakSet<MediaStreamTrack>();
    this.pc.onTrack.subscribe((t) => {
      if (seen.has(t)) return;
      seen.add(t);
      t.onReceiveRtp.subscribe((p) => {
        if (p.header.payloadType === this.telephoneEventType())
          this.events.push({
            payloadType: p.header.payloadType,
            event: p.payload[0]!,
            end: (p.payload[1]! & 0x80) !== 0,
          });
        else {
          this.received.push(Buffer.from(p.payload));
          this.receivedTypes.push(p.header.payloadType);
        }
      });
    });
  }

  private async gathered(): Promise<string> {
    if (this.pc.iceGatheringState !== 'complete')
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 3000);
        this.pc.iceGatheringStateChange.subscribe((s) => {
          if (s === 'complete') {
            clearTimeout(timer);
            resolve();
          }
        });
      });
    return this.pc.localDescription!.sdp;
  }

  async offer(): Promise<string> {
    this.pc.addTransceiver(this.track, { direction: 'sendrecv' });
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.gathered();
  }

  async accept(answer: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answer });
  }

  async answer(offer: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
    const transceiver = this.pc.getTransceivers()[0]!;
    await transceiver.sender.replaceTrack(this.track);
    transceiver.setDirection('sendrecv');
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return this.gathered();
  }

  async connected(ms = 10_000): Promise<void> {
    if (this.pc.connectionState === 'connected') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`WebRTC not connected (${this.pc.connectionState})`)),
        ms,
      );
      this.pc.connectionStateChange.subscribe((s) => {
        if (s === 'connected') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  /**
   * Sends `count` packets of the pattern (indexes from `from`; the index is the sequence number),
   * one every 20 ms; the indexes in `lose` are left out (as a lossy network would).
   */
  async sendPattern(count: number, from = 0, lose: number[] = []): Promise<void> {
    const ssrc = 0x5eb0;
    for (let i = from; i < from + count; i++) {
      if (lose.includes(i)) continue;
      const header = new RtpHeader({
        payloadType: 0,
        sequenceNumber: i & 0xffff,
        timestamp: i * 160,
        ssrc,
        marker: i === 0,
      });
      this.track.writeRtp(new RtpPacket(header, patternPayload(i)));
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The telephone-event payload type negotiated (from this side's description). */
  telephoneEventType(): number | undefined {
    const m = /a=rtpmap:(\d+) telephone-event\/8000/i.exec(this.pc.localDescription?.sdp ?? '');
    return m ? Number(m[1]) : undefined;
  }

  /** Presses a key: RFC 4733 events of `event` (0-9, 10 *, 11 #) for 100 ms, the end thrice. */
  async pressKey(event: number): Promise<void> {
    const transceiver = this.pc.getTransceivers()[0]!;
    const te = transceiver.codecs.find((c) => c.mimeType.toLowerCase() === 'audio/telephone-event');
    if (!te) throw new Error('no telephone-event negotiated');
    const sender = transceiver.sender;
    const timestamp = 0x1234;
    for (let i = 1; i <= 8; i++) {
      const end = i > 5;
      const payload = Buffer.from([event, (end ? 0x80 : 0) | 10, 0, 0]);
      payload.writeUInt16BE(Math.min(i, 5) * 160, 2);
      const header = new RtpHeader({ payloadType: te.payloadType, timestamp, marker: i === 1 });
      // werift writes its send codec's payload type in every packet: the event codec's here.
      const audio = sender.codec;
      sender.codec = te;
      void sender.sendRtp(new RtpPacket(header, payload));
      sender.codec = audio;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** A re-offer (m.call.negotiate) with the audio's direction set: `sendonly` puts on hold. */
  async reoffer(direction: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive'): Promise<string> {
    this.pc.getTransceivers()[0]!.setDirection(direction);
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.pc.localDescription!.sdp;
  }

  /** The answer to the far side's re-offer (m.call.negotiate). */
  async reanswer(offer: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return this.pc.localDescription!.sdp;
  }

  /** The pattern indexes that came back. */
  patternReceived(): number[] {
    return this.received
      .filter((p) => p.length === 160 && p.toString('latin1', 0, 4) === 'SWBT')
      .map((p) => p.readUInt32BE(4));
  }

  close(): Promise<void> {
    return this.pc.close();
  }
}
