import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  RtpHeader,
  RtpPacket,
  SrtpSession,
} from 'werift';
import { decryptSrtp, type SrtpSessionLike } from './srtp-decrypt.js';

/** Three sessions on the same keys: one encrypts, werift's decrypt and ours each take a copy. */
function sessions(profile: number) {
  const keys = {
    localMasterKey: randomBytes(16),
    localMasterSalt: randomBytes(profile === ProtectionProfileAeadAes128Gcm ? 12 : 14),
    remoteMasterKey: Buffer.alloc(0),
    remoteMasterSalt: Buffer.alloc(0),
  };
  keys.remoteMasterKey = keys.localMasterKey;
  keys.remoteMasterSalt = keys.localMasterSalt;
  const make = () => new SrtpSession({ keys, profile: profile as never });
  return { sender: make(), werift: make(), lean: make() };
}

const fields = (p: RtpPacket) => ({
  ssrc: p.header.ssrc,
  sequenceNumber: p.header.sequenceNumber,
  timestamp: p.header.timestamp,
  payloadType: p.header.payloadType,
  marker: p.header.marker,
  paddingSize: p.header.paddingSize,
  payload: p.payload.toString('hex'),
});

describe('decryptSrtp', () => {
  for (const [name, profile] of [
    ['AEAD_AES_128_GCM', ProtectionProfileAeadAes128Gcm],
    ['AES_CM_128_HMAC_SHA1_80 (werift’s own)', ProtectionProfileAes128CmHmacSha1_80],
  ] as const) {
    it(`gives what werift’s decrypt gives, across a sequence-number wrap (${name})`, () => {
      const s = sessions(profile);
      // From 65530 across the wrap (the rollover counter moves), two SSRCs, one out of order.
      const seqs = [65530, 65531, 65533, 65532, 65534, 65535, 0, 1, 2, 5, 3, 4];
      for (const ssrc of [0x1234, 0xfedcba98]) {
        for (const [i, seq] of seqs.entries()) {
          const payload = randomBytes(i % 4 === 3 ? 4 : 160);
          const header = new RtpHeader({
            ssrc,
            sequenceNumber: seq,
            timestamp: seq * 160,
            payloadType: i % 4 === 3 ? 101 : 0,
            marker: i === 0,
          });
          const data = s.sender.encrypt(payload, header);
          const mine = decryptSrtp(s.lean as unknown as SrtpSessionLike, data);
          const theirs = RtpPacket.deSerialize(s.werift.decrypt(data));
          expect(fields(mine)).toEqual(fields(theirs));
          expect(mine.payload).toEqual(payload);
        }
      }
      expect(s.lean.remoteContext.srtpSSRCStates).toEqual(s.werift.remoteContext.srtpSSRCStates);
      expect(s.lean.remoteContext.srtpSSRCStates[0x1234]!.rolloverCounter).toBe(1);
    });
  }

  it('refuses a packet altered or cut short, its rollover state untouched', () => {
    const s = sessions(ProtectionProfileAeadAes128Gcm);
    const first = s.sender.encrypt(
      randomBytes(160),
      new RtpHeader({ ssrc: 7, sequenceNumber: 65535, timestamp: 1, payloadType: 0 }),
    );
    decryptSrtp(s.lean as unknown as SrtpSessionLike, first);
    const before = { ...s.lean.remoteContext.srtpSSRCStates[7]! };
    const data = s.sender.encrypt(
      randomBytes(160),
      new RtpHeader({ ssrc: 7, sequenceNumber: 0, timestamp: 161, payloadType: 0 }),
    );
    for (const at of [1, 20, data.length - 1]) {
      const bad = Buffer.from(data);
      bad[at]! ^= 0x01;
      expect(() => decryptSrtp(s.lean as unknown as SrtpSessionLike, bad)).toThrow();
    }
    expect(() => decryptSrtp(s.lean as unknown as SrtpSessionLike, data.subarray(0, 20))).toThrow();
    expect(s.lean.remoteContext.srtpSSRCStates[7]).toEqual(before);
    // The genuine one still goes through, and moves the rollover counter.
    expect(decryptSrtp(s.lean as unknown as SrtpSessionLike, data).header.sequenceNumber).toBe(0);
    expect(s.lean.remoteContext.srtpSSRCStates[7]!.rolloverCounter).toBe(1);
  });
});
