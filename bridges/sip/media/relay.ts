/**
 * The media gateway of one call (`media: relay`): a WebRTC peer (werift: ICE, DTLS-SRTP) toward the
 * Matrix client and plain RTP (a UDP socket) toward the SIP phone, G.711 on both legs so packets
 * are handed across without transcoding. RTP is taken only from the address the SIP side
 * negotiated.
 */
import { createSocket, type Socket } from 'node:dgram';
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtpPacket,
  type RTCRtpTransceiver,
} from 'werift';
import {
  answerDirection,
  parsePlainSdp,
  plainSdp,
  receives,
  sdpDirection,
  sends,
  type Direction,
  type RtpEndpoint,
} from './plain-sdp.js';

export interface RelayOptions {
  /** The address the RTP socket binds (and, without `publicAddress`, advertises). */
  bindAddress: string;
  /** The address put in the SIP side's SDP (NAT: the public one). */
  publicAddress?: string;
  /** STUN/TURN servers for the WebRTC leg (none by default). */
  iceServers: { urls: string; username?: string; credential?: string }[];
}

export interface MediaStats {
  toSip: { packets: number; bytes: number };
  toMatrix: { packets: number; bytes: number };
  /** RTP from an address other than the negotiated one, dropped. */
  foreign: number;
  /** RTP not handed across because a side put the call on hold (its SDP direction). */
  held: number;
}

const codecs = {
  audio: [
    new RTCRtpCodecParameters({
      mimeType: 'audio/PCMU',
      clockRate: 8000,
      channels: 1,
      payloadType: 0,
    }),
    new RTCRtpCodecParameters({
      mimeType: 'audio/PCMA',
      clockRate: 8000,
      channels: 1,
      payloadType: 8,
    }),
  ],
};

export class MediaRelay {
  private readonly pc: RTCPeerConnection;
  private readonly track = new MediaStreamTrack({ kind: 'audio' });
  private socket?: Socket;
  private sip?: RtpEndpoint;
  private closed = false;
  /** Trickled candidates that came before the remote description. */
  private pendingCandidates: { candidate: string; sdpMid?: string; sdpMLineIndex?: number }[] = [];
  readonly stats: MediaStats = {
    toSip: { packets: 0, bytes: 0 },
    toMatrix: { packets: 0, bytes: 0 },
    foreign: 0,
    held: 0,
  };
  /** The latest SDP direction of each side, as that side wrote it: which way media may flow. */
  private matrixDir: Direction = 'sendrecv';
  private sipDir: Direction = 'sendrecv';
  /** The `o=` line of our plain SDP: one session id, its version one higher each time. */
  private readonly session = { id: Date.now(), version: 0 };

  constructor(private readonly opts: RelayOptions) {
    this.pc = new RTCPeerConnection({ codecs, iceServers: opts.iceServers });
    // werift tells a track again at each re-negotiation (hold/resume): one subscription each.
    const seen = new WeakSet<MediaStreamTrack>();
    this.pc.onTrack.subscribe((track) => {
      if (seen.has(track)) return;
      seen.add(track);
      track.onReceiveRtp.subscribe((packet) => this.fromMatrix(packet));
    });
  }

  /** Binds the RTP socket (an ephemeral port); its port is in the SIP side's SDP. */
  private async rtp(): Promise<Socket> {
    if (this.socket) return this.socket;
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, this.opts.bindAddress, () => resolve());
    });
    socket.on('message', (msg, rinfo) => {
      if (!this.sip || rinfo.address !== this.sip.address || rinfo.port !== this.sip.port) {
        this.stats.foreign++;
        return;
      }
      this.fromSip(msg);
    });
    socket.on('error', () => undefined);
    this.socket = socket;
    return socket;
  }

  private fromMatrix(packet: RtpPacket): void {
    if (this.closed || !this.sip || !this.socket) return;
    if (!sends(this.matrixDir) || !receives(this.sipDir)) {
      this.stats.held++;
      return;
    }
    const data = packet.serialize();
    this.stats.toSip.packets++;
    this.stats.toSip.bytes += data.length;
    this.socket.send(data, this.sip.port, this.sip.address);
  }

  private fromSip(data: Buffer): void {
    if (this.closed || data.length < 12 || data[0]! >> 6 !== 2) return; // not RTP v2
    let packet: RtpPacket;
    try {
      packet = RtpPacket.deSerialize(data);
    } catch {
      return;
    }
    if (packet.header.payloadType >= 72 && packet.header.payloadType <= 76) return; // RTCP
    if (!sends(this.sipDir) || !receives(this.matrixDir)) {
      this.stats.held++;
      return;
    }
    this.stats.toMatrix.packets++;
    this.stats.toMatrix.bytes += data.length;
    this.track.writeRtp(packet);
  }

  private async sipSdp(direction: Direction = 'sendrecv'): Promise<string> {
    const socket = await this.rtp();
    const address = this.opts.publicAddress ?? this.opts.bindAddress;
    this.session.version++;
    return plainSdp(address, socket.address().port, { direction, session: this.session });
  }

  private setSip(sdp: string): void {
    const endpoint = parsePlainSdp(sdp);
    if (!endpoint) throw new Error('the SIP side sent no usable RTP/AVP audio (IPv4) in its SDP');
    if (!endpoint.payloadTypes.some((pt) => pt === 0 || pt === 8))
      throw new Error('the SIP side offers neither PCMU nor PCMA');
    // An RFC 2543 hold (c=0.0.0.0): inactive, and the address media will come back from is kept.
    if (endpoint.address === '0.0.0.0') {
      this.sipDir = 'inactive';
      if (this.sip) return;
    } else this.sipDir = sdpDirection(sdp);
    this.sip = endpoint;
  }

  /** Which ways media flows now (both sides' latest SDP directions). */
  get flows(): { toSip: boolean; toMatrix: boolean } {
    return {
      toSip: sends(this.matrixDir) && receives(this.sipDir),
      toMatrix: sends(this.sipDir) && receives(this.matrixDir),
    };
  }

  private attach(transceiver: RTCRtpTransceiver | undefined): void {
    if (!transceiver) throw new Error('the WebRTC description has no audio');
    void transceiver.sender.replaceTrack(this.track);
    transceiver.setDirection('sendrecv');
  }

  /** The local description once its ICE candidates are gathered (no trickling toward Matrix). */
  private async gathered(): Promise<string> {
    if (this.pc.iceGatheringState !== 'complete') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 3000);
        this.pc.iceGatheringStateChange.subscribe((s) => {
          if (s === 'complete') {
            clearTimeout(timer);
            resolve();
          }
        });
      });
    }
    return this.pc.localDescription!.sdp;
  }

  // ---------------------------------------------------- a call from Matrix (Matrix offers)

  /** Takes the Matrix offer; returns the plain SDP offer for the INVITE. */
  async matrixOffered(offer: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
    await this.flushCandidates();
    this.attach(this.pc.getTransceivers().find((t) => t.kind === 'audio'));
    this.matrixDir = sdpDirection(offer);
    return this.sipSdp(this.matrixDir);
  }

  /** Takes the SIP answer (the 200 OK's SDP); returns the WebRTC answer for m.call.answer. */
  async sipAnswered(answer: string): Promise<string> {
    this.setSip(answer);
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return this.gathered();
  }

  // ---------------------------------------------------- a call from SIP (SIP offers)

  /** Takes the INVITE's SDP; returns the WebRTC offer for m.call.invite. */
  async sipOffered(offer: string): Promise<string> {
    this.setSip(offer);
    const transceiver = this.pc.addTransceiver(this.track, { direction: 'sendrecv' });
    void transceiver;
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.gathered();
  }

  /** Takes the Matrix answer; returns the plain SDP for the 200 OK. */
  async matrixAnswered(answer: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    await this.flushCandidates();
    this.matrixDir = sdpDirection(answer);
    return this.sipSdp(answerDirection(this.sipDir));
  }

  // ---------------------------------------------------- hold / resume (re-negotiation)

  /** A Matrix re-offer (m.call.negotiate); returns the plain SDP offer for the re-INVITE. */
  async matrixReoffered(offer: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
    this.matrixDir = sdpDirection(offer);
    return this.sipSdp(this.matrixDir);
  }

  /**
   * The SIP answer to that re-INVITE (undefined when the phone refused it: its media stays as it
   * was); returns the WebRTC answer for m.call.negotiate.
   */
  async sipReanswered(answer: string | undefined): Promise<string> {
    if (answer) this.setSip(answer);
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return this.gathered();
  }

  /** A SIP re-offer (a re-INVITE from the phone); returns the plain SDP answer for its 200. */
  async sipReoffered(offer: string): Promise<string> {
    this.setSip(offer);
    return this.sipSdp(answerDirection(this.sipDir));
  }

  /** The WebRTC re-offer for m.call.negotiate after a SIP re-offer: the phone's direction. */
  async matrixReoffer(): Promise<string> {
    const transceiver = this.pc.getTransceivers().find((t) => t.kind === 'audio');
    transceiver?.setDirection(this.sipDir);
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.gathered();
  }

  /** The Matrix answer (m.call.negotiate) to that re-offer. */
  async matrixReanswered(answer: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    this.matrixDir = sdpDirection(answer);
  }

  /** Candidates the Matrix client trickled (`m.call.candidates`); an empty one ends them. */
  async addCandidates(
    candidates: { candidate: string; sdpMid?: string; sdpMLineIndex?: number }[],
  ): Promise<void> {
    const real = candidates.filter((c) => c.candidate.trim() !== '');
    if (!this.pc.remoteDescription) {
      this.pendingCandidates.push(...real);
      return;
    }
    for (const c of real) await this.pc.addIceCandidate(c).catch(() => undefined);
  }

  private async flushCandidates(): Promise<void> {
    const pending = this.pendingCandidates.splice(0);
    for (const c of pending) await this.pc.addIceCandidate(c).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.socket?.close();
    await this.pc.close().catch(() => undefined);
  }
}
