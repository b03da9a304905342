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
import { parsePlainSdp, plainSdp, type RtpEndpoint } from './plain-sdp.js';

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
  };

  constructor(private readonly opts: RelayOptions) {
    this.pc = new RTCPeerConnection({ codecs, iceServers: opts.iceServers });
    this.pc.onTrack.subscribe((track) =>
      track.onReceiveRtp.subscribe((packet) => this.fromMatrix(packet)),
    );
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
    this.stats.toMatrix.packets++;
    this.stats.toMatrix.bytes += data.length;
    this.track.writeRtp(packet);
  }

  private async sipSdp(): Promise<string> {
    const socket = await this.rtp();
    const address = this.opts.publicAddress ?? this.opts.bindAddress;
    return plainSdp(address, socket.address().port);
  }

  private setSip(sdp: string): void {
    const endpoint = parsePlainSdp(sdp);
    if (!endpoint) throw new Error('the SIP side sent no usable RTP/AVP audio (IPv4) in its SDP');
    if (!endpoint.payloadTypes.some((pt) => pt === 0 || pt === 8))
      throw new Error('the SIP side offers neither PCMU nor PCMA');
    this.sip = endpoint;
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
    return this.sipSdp();
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
    return this.sipSdp();
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
