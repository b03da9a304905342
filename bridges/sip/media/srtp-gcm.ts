/**
 * SRTP of AEAD_AES_128_GCM packets (RFC 7714) for the relay's paths to and from Matrix
 * (`encryptSrtp`: matrix-sender.ts; `decryptSrtp`: matrix-receiver.ts), with werift's own SRTP
 * context: its session key and salt (from the DTLS handshake) and
 * its per-SSRC rollover-counter state, updated the way werift's `SrtpContext.decryptRtp` does
 * (only once the packet is authentic). What werift's path does besides, per packet, is left out:
 * the packet copied into a new buffer grown from an empty one, the header parsed twice (once for
 * the IV, once more by the DTLS transport), a copy of the SSRC state, and a general-purpose
 * buffer writer for the IV. Any other profile (AES_CM_128_HMAC_SHA1_80) is werift's own decrypt.
 * Checked against werift's results in `srtp-gcm.test.ts`.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { ProtectionProfileAeadAes128Gcm, RtpHeader, RtpPacket } from 'werift';

/** What of werift's SrtpSession / SrtpContext this reads (public in werift's classes). */
export interface SrtpSessionLike {
  decrypt(data: Buffer): Buffer;
  encrypt(payload: Buffer, header: RtpHeader): Buffer;
  remoteContext: ContextLike;
  localContext: ContextLike;
}

interface ContextLike {
  profile: number;
  srtpSSRCStates: Record<number, SsrcState | undefined>;
  cipher: { srtpSessionKey: Buffer; srtpSessionSalt: Buffer };
  updateRolloverCount(sequenceNumber: number, state: SsrcState): void;
  getSrtpSsrcState(ssrc: number): SsrcState;
}

interface SsrcState {
  ssrc: number;
  rolloverCounter: number;
  lastSequenceNumber: number;
  rolloverHasProcessed?: boolean;
}

const TAG = 16;

/** The next state is worked out here, and copied into werift's once the packet is authentic. */
const next: SsrcState = { ssrc: 0, rolloverCounter: 0, lastSequenceNumber: 0 };
const iv = Buffer.alloc(12);

/** The RFC 7714 IV of a packet: the session salt XOR (0, SSRC, rollover counter, sequence number). */
function rtpIv(salt: Buffer, ssrc: number, roc: number, seq: number): Buffer {
  iv[0] = 0;
  iv[1] = 0;
  iv.writeUInt32BE(ssrc >>> 0, 2);
  iv.writeUInt32BE(roc >>> 0, 6);
  iv.writeUInt16BE(seq, 10);
  for (let i = 0; i < 12; i++) iv[i]! ^= salt[i]!;
  return iv;
}

/**
 * An RTP packet with a plain 12-byte header (no CSRCs, extensions or padding) encrypted to SRTP
 * with werift's context, as werift's `SrtpContext.encryptRtp` does (the rollover counter moved
 * first), into one buffer (header, ciphertext, tag) instead of three joined. Any other header or
 * profile is werift's own `encrypt`.
 */
export function encryptSrtp(session: SrtpSessionLike, payload: Buffer, h: RtpHeader): Buffer {
  const ctx = session.localContext;
  if (
    ctx.profile !== ProtectionProfileAeadAes128Gcm ||
    h.csrc.length ||
    h.extensions.length ||
    h.extension ||
    h.padding
  )
    return session.encrypt(payload, h);
  const state = ctx.getSrtpSsrcState(h.ssrc);
  ctx.updateRolloverCount(h.sequenceNumber, state);
  const out = Buffer.allocUnsafe(12 + payload.length + TAG);
  out[0] = 0x80;
  out[1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  out.writeUInt16BE(h.sequenceNumber & 0xffff, 2);
  out.writeUInt32BE(h.timestamp >>> 0, 4);
  out.writeUInt32BE(h.ssrc >>> 0, 8);
  const cipher = createCipheriv(
    'aes-128-gcm',
    ctx.cipher.srtpSessionKey,
    rtpIv(ctx.cipher.srtpSessionSalt, h.ssrc, state.rolloverCounter, h.sequenceNumber),
  );
  cipher.setAAD(out.subarray(0, 12));
  const enc = cipher.update(payload);
  cipher.final();
  enc.copy(out, 12);
  cipher.getAuthTag().copy(out, 12 + enc.length);
  return out;
}

/**
 * The RTP packet in `data` (SRTP), decrypted and authenticated; throws when it is not authentic
 * or too short, as werift's does.
 */
export function decryptSrtp(session: SrtpSessionLike, data: Buffer): RtpPacket {
  const ctx = session.remoteContext;
  if (ctx.profile !== ProtectionProfileAeadAes128Gcm)
    return RtpPacket.deSerialize(session.decrypt(data));
  const end = data.length - TAG;
  if (end < 12) throw new Error('SRTP packet too short');
  const header = RtpHeader.deSerialize(data.subarray(0, end));
  const offset = header.payloadOffset;
  if (offset < 12 || offset > end) throw new Error('SRTP packet too short');
  const existing = ctx.srtpSSRCStates[header.ssrc];
  next.ssrc = header.ssrc;
  next.rolloverCounter = existing?.rolloverCounter ?? 0;
  next.lastSequenceNumber = existing?.lastSequenceNumber ?? 0;
  next.rolloverHasProcessed = existing?.rolloverHasProcessed;
  ctx.updateRolloverCount(header.sequenceNumber, next);
  const decipher = createDecipheriv(
    'aes-128-gcm',
    ctx.cipher.srtpSessionKey,
    rtpIv(ctx.cipher.srtpSessionSalt, header.ssrc, next.rolloverCounter, header.sequenceNumber),
  );
  decipher.setAAD(data.subarray(0, offset));
  decipher.setAuthTag(data.subarray(end));
  const clear = decipher.update(data.subarray(offset, end));
  decipher.final(); // throws when not authentic
  if (existing) {
    existing.rolloverCounter = next.rolloverCounter;
    existing.lastSequenceNumber = next.lastSequenceNumber;
    existing.rolloverHasProcessed = next.rolloverHasProcessed;
  } else ctx.srtpSSRCStates[header.ssrc] = { ...next };
  let payload = clear;
  if (header.padding) {
    const pad = clear.length ? clear[clear.length - 1]! : 0;
    if (pad === 0 || pad > clear.length) throw new Error('SRTP packet with bad padding');
    header.paddingSize = pad;
    payload = clear.subarray(0, clear.length - pad);
  } else header.paddingSize = 0;
  return new RtpPacket(header, payload);
}
