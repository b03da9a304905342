/**
 * SRTP decryption of AEAD_AES_128_GCM packets (RFC 7714) for the relay's receive path from
 * Matrix, with werift's own SRTP context: its session key and salt (from the DTLS handshake) and
 * its per-SSRC rollover-counter state, updated the way werift's `SrtpContext.decryptRtp` does
 * (only once the packet is authentic). What werift's path does besides, per packet, is left out:
 * the packet copied into a new buffer grown from an empty one, the header parsed twice (once for
 * the IV, once more by the DTLS transport), a copy of the SSRC state, and a general-purpose
 * buffer writer for the IV. Any other profile (AES_CM_128_HMAC_SHA1_80) is werift's own decrypt.
 * Checked against werift's results in `srtp-decrypt.test.ts`.
 */
import { createDecipheriv } from 'node:crypto';
import { ProtectionProfileAeadAes128Gcm, RtpHeader, RtpPacket } from 'werift';

/** What of werift's SrtpSession / SrtpContext this reads (public in werift's classes). */
export interface SrtpSessionLike {
  decrypt(data: Buffer): Buffer;
  remoteContext: {
    profile: number;
    srtpSSRCStates: Record<number, SsrcState | undefined>;
    cipher: { srtpSessionKey: Buffer; srtpSessionSalt: Buffer };
    updateRolloverCount(sequenceNumber: number, state: SsrcState): void;
  };
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
  const salt = ctx.cipher.srtpSessionSalt;
  iv[0] = 0;
  iv[1] = 0;
  iv.writeUInt32BE(header.ssrc, 2);
  iv.writeUInt32BE(next.rolloverCounter >>> 0, 6);
  iv.writeUInt16BE(header.sequenceNumber, 10);
  for (let i = 0; i < 12; i++) iv[i]! ^= salt[i]!;
  const decipher = createDecipheriv('aes-128-gcm', ctx.cipher.srtpSessionKey, iv);
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
