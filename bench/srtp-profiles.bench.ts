/**
 * SRTP cost per packet with werift's own sessions (what the SIP relay uses toward Matrix) for the
 * two profiles WebRTC endpoints offer: AEAD_AES_128_GCM (RFC 7714) and AES_CM_128_HMAC_SHA1_80
 * (RFC 3711). A 160-byte G.711 payload (20 ms), encrypted then decrypted; CPU time
 * (process.cpuUsage) per packet, the median of five rounds. werift offers GCM first
 * (secureTransportManager's srtpProfiles) and picks it when it is the DTLS server.
 *
 *   npm run bench:srtp-profiles
 *   npm run bench:srtp-profiles -- --packets 200000
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  RtpHeader,
  SrtpSession,
} from 'werift';

const { values: args } = parseArgs({
  options: { packets: { type: 'string', default: '100000' } },
});
const N = Number(args.packets);

const profiles = [
  { name: 'AEAD_AES_128_GCM', profile: ProtectionProfileAeadAes128Gcm, salt: 12 },
  { name: 'AES_CM_128_HMAC_SHA1_80', profile: ProtectionProfileAes128CmHmacSha1_80, salt: 14 },
] as const;

const cpuUs = (f: () => void): number => {
  const t = process.cpuUsage();
  f();
  const u = process.cpuUsage(t);
  return (u.user + u.system) / N;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const results: Record<string, { encryptUs: number; decryptUs: number }> = {};
for (const { name, profile, salt } of profiles) {
  const key = randomBytes(16);
  const masterSalt = randomBytes(salt);
  const keys = {
    localMasterKey: key,
    localMasterSalt: masterSalt,
    remoteMasterKey: key,
    remoteMasterSalt: masterSalt,
  };
  const session = new SrtpSession({ keys, profile });
  const payload = randomBytes(160);
  const enc: number[] = [];
  const dec: number[] = [];
  for (let round = 0; round < 5; round++) {
    const packets: Buffer[] = new Array(N);
    enc.push(
      cpuUs(() => {
        for (let i = 0; i < N; i++)
          packets[i] = session.encrypt(
            payload,
            new RtpHeader({
              ssrc: 0x1234,
              sequenceNumber: (round * N + i) & 0xffff,
              timestamp: i * 160,
              payloadType: 0,
            }),
          );
      }),
    );
    dec.push(
      cpuUs(() => {
        for (let i = 0; i < N; i++) session.decrypt(packets[i]!);
      }),
    );
  }
  results[name] = { encryptUs: median(enc), decryptUs: median(dec) };
  console.log(
    `${name.padEnd(24)} encrypt ${median(enc).toFixed(2)} µs, decrypt ${median(dec).toFixed(2)} µs per packet (median of 5 × ${N})`,
  );
}
console.log(JSON.stringify({ node: process.version, packets: N, results }));
