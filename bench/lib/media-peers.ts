/**
 * The two ends of a relayed call in the SIP media benchmark, and what they measure: a plain RTP
 * phone (a UDP socket, as a SIP phone or trunk has) and a WebRTC peer (werift, as
 * test/support/webrtc-phone.ts plays the Matrix client). Each sends 20 ms G.711 frames whose
 * payload carries its stream, its index and the moment it was sent (performance.now(): both ends
 * in one process, one clock; epoch ms in `--peer-processes`, peer-child.ts), and each records what
 * arrives: loss and one-way delay.
 */
import { createSocket, type Socket } from 'node:dgram';
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtpHeader,
  RtpPacket,
} from 'werift';
import type { BodyAndContentType, SessionDescriptionHandler } from 'sip.js';
import { parsePlainSdp, plainSdp, type RtpEndpoint } from '../../bridges/sip/media/plain-sdp.js';
import { keepNoSentPackets } from '../../bridges/sip/media/legs.js';
import { MatrixSender } from '../../bridges/sip/media/matrix-sender.js';
import { wireKey, type NamedStream } from './wire-hold.js';

const TAG = 0x5357424d; // 'SWBM'
const FRAME = 160; // 20 ms of PCMU at 8 kHz

/** Every stream by its id (the id travels in each payload: the receiver finds its stream). */
const streams = new Map<number, Stream>();
let nextId = 1;
/** The clock stamped in payloads and read at arrival (ms). */
let clock = () => performance.now();
/** Where arrivals go instead of their streams (a peer process: the sender may be another one). */
let sink: ((id: number, index: number, delay: number, name: number) => void) | undefined;

/**
 * In a peer process (peer-child.ts): stream ids from `base` (unique over the processes), payloads
 * stamped in epoch ms (comparable between processes), every arrival handed to `arrivals`.
 */
export function peerProcess(
  base: number,
  arrivals: (id: number, index: number, delay: number, name: number) => void,
): void {
  nextId = base;
  clock = () => performance.timeOrigin + performance.now();
  sink = arrivals;
}

/**
 * A payload that came, counted in the stream that sent it (not one of ours: ignored); `name` is
 * the datagram's as it arrived (SSRC and sequence number, wire-hold.ts's `wireKey`).
 */
export function received(payload: Uint8Array, now: number, name: number): void {
  if (payload.length !== FRAME) return;
  const view = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  if (view.readUInt32BE(0) !== TAG) return;
  if (sink) sink(view.readUInt32BE(4), view.readUInt32BE(8), now - view.readDoubleBE(12), name);
  else streams.get(view.readUInt32BE(4))?.take(view, now, name);
}

/** One direction of one call: what was sent, and the delay of each packet that came. */
export class Stream {
  readonly id = nextId++;
  sent = 0;
  /** Packets sent while measuring (between `measure(true)` and `measure(false)`). */
  sentMeasured = 0;
  receivedMeasured = 0;
  /** One-way delays (ms) of the measured packets that came. */
  readonly delays: number[] = [];
  private measuring = false;
  /** The first index sent while measuring, and the first after: a packet counts when in between. */
  private from = Infinity;
  private to = Infinity;
  private readonly seen = new Set<number>();
  duplicates = 0;
  /**
   * The measured packets' datagram names (wire-hold.ts), by index less the first measured: as
   * sent (to the bridge) and as received (from it). For the measure at the bridge on the wire.
   */
  readonly names: NamedStream = { sent: [], received: [] };

  constructor() {
    streams.set(this.id, this);
  }

  measure(on: boolean): void {
    if (on) this.from = this.sent;
    else this.to = this.sent;
    this.measuring = on;
  }

  /** The measured indexes: [from, to). */
  get window(): [number, number] {
    return [this.from, this.to];
  }

  /**
   * The next packet's payload (and the count of it as sent), and its RTP timestamp: the moment
   * it is sent at 8 kHz, not a fixed 160 a frame, so that the relay's probe (its arrival delay
   * variation) leaves out this process's own lateness in sending.
   */
  payload(): { index: number; payload: Buffer; timestamp: number } {
    const index = this.sent++;
    if (this.measuring) this.sentMeasured++;
    const payload = Buffer.alloc(FRAME, 0xff);
    const now = clock();
    payload.writeUInt32BE(TAG, 0);
    payload.writeUInt32BE(this.id, 4);
    payload.writeUInt32BE(index, 8);
    payload.writeDoubleBE(now, 12);
    return { index, payload, timestamp: Math.round(now * 8) >>> 0 };
  }

  /** The datagram name packet `index` was sent with (when measured). */
  sentAs(index: number, name: number): void {
    if (index >= this.from && index < this.to) this.names.sent[index - this.from] = name;
  }

  take(view: Buffer, now: number, name: number): void {
    const index = view.readUInt32BE(8);
    if (index < this.from || index >= this.to) return;
    this.names.received[index - this.from] = name;
    if (this.seen.has(index)) {
      this.duplicates++;
      return;
    }
    this.seen.add(index);
    this.receivedMeasured++;
    this.delays.push(now - view.readDoubleBE(12));
  }
}

/** What a summary reads of a stream (a Stream, or one put together from peer processes). */
export type StreamFigures = Pick<
  Stream,
  'sentMeasured' | 'receivedMeasured' | 'delays' | 'duplicates' | 'names'
>;

/** Loss and delay of many streams of one direction together. */
export function summary(all: StreamFigures[]) {
  // A call whose media never came through at all (its WebRTC leg failed to connect) is told
  // apart: its packets are not "loss" of a working relay.
  const streams = all.filter((s) => s.receivedMeasured > 0);
  const dead = all.length - streams.length;
  const sent = streams.reduce((n, s) => n + s.sentMeasured, 0);
  const received = streams.reduce((n, s) => n + s.receivedMeasured, 0);
  const delays: number[] = [];
  // Packet delay variation (RFC 5481): each packet's delay above its stream's smallest one.
  const pdv: number[] = [];
  for (const s of streams) {
    if (!s.delays.length) continue;
    const min = Math.min(...s.delays);
    for (const d of s.delays) {
      delays.push(d);
      pdv.push(d - min);
    }
  }
  delays.sort((a, b) => a - b);
  pdv.sort((a, b) => a - b);
  const pct = (xs: number[], p: number) =>
    xs.length ? xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]! : NaN;
  return {
    streams: streams.length,
    dead,
    sent,
    received,
    lossPercent: sent ? (100 * (sent - received)) / sent : 0,
    duplicates: streams.reduce((n, s) => n + s.duplicates, 0),
    delayMs: { p50: pct(delays, 50), p99: pct(delays, 99), max: delays[delays.length - 1] ?? NaN },
    jitterMs: { p50: pct(pdv, 50), p99: pct(pdv, 99), max: pdv[pdv.length - 1] ?? NaN },
  };
}

const codecs = {
  audio: [
    new RTCRtpCodecParameters({
      mimeType: 'audio/PCMU',
      clockRate: 8000,
      channels: 1,
      payloadType: 0,
    }),
  ],
};

/** The Matrix client's end: a werift peer that sends and receives the measured frames. */
export class WebrtcEnd {
  readonly pc = new RTCPeerConnection({ codecs, iceServers: [] });
  private readonly track = new MediaStreamTrack({ kind: 'audio' });
  readonly out = new Stream();
  private readonly ssrc = (Math.random() * 0xffffffff) >>> 0;
  /** Sends as the relay does toward Matrix (werift's sender work skipped): cheaper peers. */
  private lean?: MatrixSender;

  constructor() {
    const seen = new WeakSet<MediaStreamTrack>();
    this.pc.onTrack.subscribe((t) => {
      if (seen.has(t)) return;
      seen.add(t);
      t.onReceiveRtp.subscribe((p) =>
        received(p.payload, clock(), wireKey(p.header.ssrc, p.header.sequenceNumber)),
      );
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
    // As the relay's: no copy of each packet sent kept for NACKs (cheaper peers, both runs).
    const { sender } = this.pc.addTransceiver(this.track, { direction: 'sendrecv' });
    keepNoSentPackets(sender);
    this.lean = new MatrixSender(sender);
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.gathered();
  }

  async accept(answer: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answer });
  }

  async answer(offer: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
    const transceiver = this.pc.getTransceivers()[0]!;
    keepNoSentPackets(transceiver.sender);
    this.lean = new MatrixSender(transceiver.sender);
    await transceiver.sender.replaceTrack(this.track);
    transceiver.setDirection('sendrecv');
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return this.gathered();
  }

  connected(ms = 30_000): Promise<void> {
    if (this.pc.connectionState === 'connected') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
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

  send(): void {
    const { index, payload, timestamp } = this.out.payload();
    const header = new RtpHeader({
      payloadType: 0,
      sequenceNumber: index & 0xffff,
      timestamp,
      ssrc: this.ssrc,
      marker: index === 0,
    });
    const packet = new RtpPacket(header, payload);
    // The lean sender writes the header it sends with (its SSRC, its sequence number) in place.
    if (this.lean?.send(packet))
      this.out.sentAs(index, wireKey(header.ssrc, header.sequenceNumber));
    else this.track.writeRtp(packet); // werift's own header: not named (not matched on the wire)
  }

  close(): Promise<void> {
    return this.pc.close();
  }
}

/**
 * The SIP phone's end: plain RTP on a UDP socket of 127.0.0.1, its SDP handed to sip.js as a
 * SessionDescriptionHandler (it offers in the INVITE and takes the bridge's answer).
 */
export class RtpEnd implements SessionDescriptionHandler {
  readonly out = new Stream();
  private socket?: Socket;
  private far?: RtpEndpoint;
  private readonly ssrc = (Math.random() * 0xffffffff) >>> 0;

  private async bound(): Promise<Socket> {
    if (this.socket) return this.socket;
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    socket.on('message', (msg) => {
      if (msg.length > 12)
        received(msg.subarray(12), clock(), wireKey(msg.readUInt32BE(8), msg.readUInt16BE(2)));
    });
    this.socket = socket;
    return socket;
  }

  /** Peer to peer: sends to another RTP end directly (no SIP, no bridge). */
  async pairWith(other: RtpEnd): Promise<void> {
    const socket = await other.bound();
    this.far = { address: '127.0.0.1', port: socket.address().port, payloadTypes: [0] };
    await this.bound();
  }

  /** Where the bridge takes this call's RTP (known once it answered). */
  get ready(): boolean {
    return !!this.far;
  }

  send(): void {
    if (!this.far || !this.socket) return;
    const { index, payload, timestamp } = this.out.payload();
    const header = Buffer.alloc(12);
    header[0] = 0x80;
    header[1] = index === 0 ? 0x80 : 0; // PCMU
    header.writeUInt16BE(index & 0xffff, 2);
    header.writeUInt32BE(timestamp, 4);
    header.writeUInt32BE(this.ssrc, 8);
    this.socket.send([header, payload], this.far.port, this.far.address);
    this.out.sentAs(index, wireKey(this.ssrc, index));
  }

  // sip.js's SessionDescriptionHandler
  async getDescription(): Promise<BodyAndContentType> {
    const socket = await this.bound();
    return {
      contentType: 'application/sdp',
      body: plainSdp('127.0.0.1', socket.address().port, { payloadTypes: [0] }),
    };
  }

  hasDescription(contentType: string): boolean {
    return contentType === 'application/sdp';
  }

  async setDescription(sdp: string): Promise<void> {
    const far = parsePlainSdp(sdp);
    if (!far) throw new Error('the bridge answered without usable RTP');
    this.far = far;
    await this.bound();
  }

  sendDtmf(): boolean {
    return false;
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }
}

/**
 * Calls `tick()` of every sender 50 times a second, their phases spread over the 20 ms (not all
 * in one burst); a late timer catches up with what fell due. Returns a stop function.
 */
export function pace50(senders: { send(): void }[]): () => void {
  const period = 20;
  const start = performance.now();
  const next = senders.map((_, i) => start + (period * i) / Math.max(1, senders.length));
  let stopped = false;
  const loop = () => {
    if (stopped) return;
    const now = performance.now();
    for (let i = 0; i < senders.length; i++) {
      // At most two frames at once: a stalled loop shows as delay, not as a burst of catch-ups.
      for (let k = 0; k < 2 && next[i]! <= now; k++) {
        senders[i]!.send();
        next[i]! += period;
      }
      if (next[i]! <= now) next[i] = now + period;
    }
    setTimeout(loop, 1);
  };
  loop();
  return () => {
    stopped = true;
  };
}
