/**
 * The media gateway of one call (`media: relay`): a WebRTC peer (werift: ICE, DTLS-SRTP) toward the
 * Matrix client and plain RTP (a UDP socket) toward the SIP phone, G.711 on both legs so packets
 * are handed across without transcoding. RTP is taken only from the address the SIP side
 * negotiated.
 */
import { randomInt } from 'node:crypto';
import type { Socket } from 'node:dgram';
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RtpHeader,
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
import { DigitDetector, sendDigitEvents, telephoneEventType } from './telephone-event.js';
import { StreamQuality } from './rtp-quality.js';
import type { CallQuality, MediaStats, RelayOptions } from './relay-types.js';
import { bindRtp, codecs, gathered, keepNoSentPackets, rtpBytes, TE_DEFAULT } from './legs.js';
import { TransitFloor, type RelayProbe } from './relay-probe.js';
import { MatrixSender } from './matrix-sender.js';
import { installFastRtpHeader, readRtpHeader } from './werift-rtp-header.js';

// werift's RTP header parser costs more than the rest of a packet's relaying (werift-rtp-header.ts).
installFastRtpHeader();

export type { CallQuality, MediaStats, RelayOptions } from './relay-types.js';

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
  /** The telephone-event payload type each leg negotiated (undefined: none). */
  private teSip?: number;
  private teMatrix?: number;
  private readonly digits = new DigitDetector();
  private readonly streams = { toSip: new StreamQuality(), toMatrix: new StreamQuality() };
  /** A DTMF digit the phone sent in the media (RFC 4733), once per key press. */
  onDigit?: (digit: string) => void;
  /**
   * The RTP stream toward SIP is the relay's own (one SSRC, its own sequence numbers), so that
   * the telephone-events it writes (`!dtmf`) fit in it whatever the Matrix side's stream does.
   */
  private readonly out = {
    ssrc: randomInt(1, 0xffffffff),
    seq: randomInt(0, 0xffff),
    timestamp: randomInt(0, 0xffffffff),
  };

  /** The Matrix leg's payload type of the phone's PCMU (0) and PCMA (8), when agreed there. */
  private g711: Record<number, number | undefined> = {};
  /** The stream toward Matrix, sent without werift's per-packet sender work (matrix-sender.ts). */
  private matrixOut?: MatrixSender;
  /** The header each plain packet from the phone is read into (fromSip). */
  private readonly fromSipHeader = new RtpHeader();
  /** Each way's transit floor, for the probe's delay variation at arrival. */
  private readonly floors = { toSip: new TransitFloor(), toMatrix: new TransitFloor() };

  constructor(
    private readonly opts: RelayOptions,
    /** Where this thread's relays record how long packets wait (relay-probe.ts). */
    private readonly probe?: RelayProbe,
  ) {
    this.pc = new RTCPeerConnection({
      codecs,
      iceServers: opts.iceServers,
      ...(opts.ports ? { icePortRange: [opts.ports.min, opts.ports.max] } : {}),
    });
    // werift tells a track again at each re-negotiation (hold/resume): one subscription each.
    const seen = new WeakSet<MediaStreamTrack>();
    this.pc.onTrack.subscribe((track) => {
      if (seen.has(track)) return;
      seen.add(track);
      track.onReceiveRtp.subscribe((packet) => this.fromMatrix(packet));
    });
  }

  /** Loss and jitter each way so far. */
  get quality(): CallQuality {
    return { toSip: this.streams.toSip.figures, toMatrix: this.streams.toMatrix.figures };
  }

  /** Binds the RTP socket (in `ports`, or an ephemeral port); its port is in the SIP side's SDP. */
  private async rtp(): Promise<Socket> {
    if (this.socket) return this.socket;
    const socket = await bindRtp(this.opts.bindAddress, this.opts.ports);
    socket.on('message', (msg, rinfo) => {
      if (!this.sip || rinfo.address !== this.sip.address || rinfo.port !== this.sip.port) {
        this.stats.foreign++;
        return;
      }
      this.fromSip(msg, performance.now());
    });
    socket.on('error', () => undefined);
    this.socket = socket;
    return socket;
  }

  private fromMatrix(packet: RtpPacket): void {
    if (this.closed || !this.sip || !this.socket) return;
    const h = packet.header;
    const start = performance.now();
    this.streams.toSip.add(h.ssrc, h.sequenceNumber, h.timestamp, start);
    const late = this.probe && this.floors.toSip.variation(h.ssrc, h.timestamp, start);
    if (!sends(this.matrixDir) || !receives(this.sipDir)) {
      this.stats.held++;
      return;
    }
    const header = packet.header;
    if (this.teMatrix !== undefined && header.payloadType === this.teMatrix) {
      if (this.teSip === undefined) return; // the phone takes no telephone-events
      header.payloadType = this.teSip;
    }
    this.out.timestamp = header.timestamp;
    this.sendToSip(packet);
    this.probe?.toSip.record(late, start, performance.now());
  }

  private sendToSip(packet: RtpPacket): void {
    if (!this.sip || !this.socket) return;
    packet.header.ssrc = this.out.ssrc;
    packet.header.sequenceNumber = this.out.seq = (this.out.seq + 1) & 0xffff;
    const data = rtpBytes(packet);
    this.stats.toSip.packets++;
    this.stats.toSip.bytes += data.length;
    this.socket.send(data, this.sip.port, this.sip.address);
  }

  /** Whether `!dtmf` digits can go in the media: the phone negotiated telephone-events. */
  get sendsDigits(): boolean {
    return this.teSip !== undefined && !!this.sip && !this.closed;
  }

  /** Sends DTMF digits as RFC 4733 telephone-events toward the phone (100 ms each, 60 ms apart). */
  async sendDigits(digits: string): Promise<void> {
    const pt = this.teSip;
    if (pt === undefined) throw new Error('the phone negotiated no telephone-events');
    await sendDigitEvents(digits, this.out, (payload, marker, timestamp) => {
      if (this.closed) return false;
      this.sendToSip(new RtpPacket(new RtpHeader({ payloadType: pt, timestamp, marker }), payload));
      return true;
    });
  }

  /** A telephone-event from the phone: its digit told once, the packet on to Matrix if it takes them. */
  private eventFromSip(packet: RtpPacket): void {
    const digit = this.digits.take(packet.header.ssrc, packet.header.timestamp, packet.payload);
    if (digit) this.onDigit?.(digit);
    const transceiver = this.pc.getTransceivers().find((t) => t.kind === 'audio');
    const codec = transceiver?.codecs.find(
      (c) => c.mimeType.toLowerCase() === 'audio/telephone-event',
    );
    if (!transceiver || !codec || this.teMatrix === undefined) return;
    if (this.matrixOut?.send(packet, codec.payloadType)) return;
    // werift writes its send codec's payload type in every packet: the event's for this one.
    const sender = transceiver.sender;
    const audio = sender.codec;
    sender.codec = codec;
    void sender.sendRtp(packet).catch(() => undefined);
    sender.codec = audio;
  }

  private fromSip(data: Buffer, start: number): void {
    if (this.closed || data.length < 12 || data[0]! >> 6 !== 2) return; // not RTP v2
    // The phone's plain headers are read into one header object, reused packet after packet (the
    // lean send toward Matrix keeps none): no RtpPacket, RtpHeader or parse per packet.
    let h = this.fromSipHeader;
    let packet: RtpPacket | undefined;
    if (!readRtpHeader(data, h)) {
      try {
        packet = RtpPacket.deSerialize(data);
      } catch {
        return;
      }
      h = packet.header;
    }
    if (h.payloadType >= 72 && h.payloadType <= 76) return; // RTCP
    this.streams.toMatrix.add(h.ssrc, h.sequenceNumber, h.timestamp, start);
    const late = this.probe && this.floors.toMatrix.variation(h.ssrc, h.timestamp, start);
    if (!sends(this.sipDir) || !receives(this.matrixDir)) {
      this.stats.held++;
      return;
    }
    this.stats.toMatrix.packets++;
    this.stats.toMatrix.bytes += data.length;
    // Any other way than the lean send gets a packet of its own (werift may keep it).
    if (this.teSip !== undefined && h.payloadType === this.teSip)
      return this.eventFromSip(packet ?? RtpPacket.deSerialize(data));
    const payload = packet?.payload ?? data.subarray(h.payloadOffset, data.length - h.paddingSize);
    // Encrypted and sent before this returns (either way).
    if (!this.matrixOut?.sendParts(h, payload, this.g711[h.payloadType]))
      this.track.writeRtp(packet ?? RtpPacket.deSerialize(data));
    this.probe?.toMatrix.record(late, start, performance.now());
  }

  /** Our plain SDP: an offer has telephone-events, an answer only when the offer had them. */
  private async sipSdp(direction: Direction, answer: boolean): Promise<string> {
    const socket = await this.rtp();
    const address = this.opts.publicAddress ?? this.opts.bindAddress;
    this.session.version++;
    const te = answer ? this.teSip : (this.teSip ?? TE_DEFAULT);
    return plainSdp(address, socket.address().port, {
      direction,
      session: this.session,
      ...(te !== undefined ? { telephoneEvent: te } : {}),
    });
  }

  /**
   * After each WebRTC offer/answer: the telephone-event type both sides agreed, if any, and the
   * Matrix leg's payload types of PCMU and PCMA, so that each packet from the phone goes on
   * labelled with the codec it is in (not the one werift chose to send) when both were agreed.
   */
  private matrixNegotiated(): void {
    const local = this.pc.localDescription?.sdp;
    const remote = this.pc.remoteDescription?.sdp;
    this.teMatrix =
      local && remote && telephoneEventType(remote) !== undefined
        ? telephoneEventType(local)
        : undefined;
    const agreed = this.pc.getTransceivers().find((t) => t.kind === 'audio')?.codecs ?? [];
    const pt = (mime: string) => agreed.find((c) => c.mimeType.toLowerCase() === mime)?.payloadType;
    this.g711 = { 0: pt('audio/pcmu'), 8: pt('audio/pcma') };
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
    this.teSip = telephoneEventType(sdp);
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
    keepNoSentPackets(transceiver.sender);
    this.matrixOut = new MatrixSender(transceiver.sender);
    void transceiver.sender.replaceTrack(this.track);
    transceiver.setDirection('sendrecv');
  }

  /** The local description once its ICE candidates are gathered (no trickling toward Matrix). */
  private gathered(): Promise<string> {
    return gathered(this.pc);
  }

  // ---------------------------------------------------- a call from Matrix (Matrix offers)

  /** Takes the Matrix offer; returns the plain SDP offer for the INVITE. */
  async matrixOffered(offer: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
    await this.flushCandidates();
    this.attach(this.pc.getTransceivers().find((t) => t.kind === 'audio'));
    this.matrixDir = sdpDirection(offer);
    return this.sipSdp(this.matrixDir, false);
  }

  /** Takes the SIP answer (the 200 OK's SDP); returns the WebRTC answer for m.call.answer. */
  async sipAnswered(answer: string): Promise<string> {
    this.setSip(answer);
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    this.matrixNegotiated();
    return this.gathered();
  }

  // ---------------------------------------------------- a call from SIP (SIP offers)

  /** Takes the INVITE's SDP; returns the WebRTC offer for m.call.invite. */
  async sipOffered(offer: string): Promise<string> {
    this.setSip(offer);
    const transceiver = this.pc.addTransceiver(this.track, { direction: 'sendrecv' });
    keepNoSentPackets(transceiver.sender);
    this.matrixOut = new MatrixSender(transceiver.sender);
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.gathered();
  }

  /** Takes the Matrix answer; returns the plain SDP for the 200 OK. */
  async matrixAnswered(answer: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    await this.flushCandidates();
    this.matrixDir = sdpDirection(answer);
    this.matrixNegotiated();
    return this.sipSdp(answerDirection(this.sipDir), true);
  }

  // ---------------------------------------------------- hold / resume (re-negotiation)

  /** A Matrix re-offer (m.call.negotiate); returns the plain SDP offer for the re-INVITE. */
  async matrixReoffered(offer: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
    this.matrixDir = sdpDirection(offer);
    return this.sipSdp(this.matrixDir, false);
  }

  /**
   * The SIP answer to that re-INVITE (undefined when the phone refused it: its media stays as it
   * was); returns the WebRTC answer for m.call.negotiate.
   */
  async sipReanswered(answer: string | undefined): Promise<string> {
    if (answer) this.setSip(answer);
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    this.matrixNegotiated();
    return this.gathered();
  }

  /** A SIP re-offer (a re-INVITE from the phone); returns the plain SDP answer for its 200. */
  async sipReoffered(offer: string): Promise<string> {
    this.setSip(offer);
    return this.sipSdp(answerDirection(this.sipDir), true);
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
    this.matrixNegotiated();
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
