import { createSocket } from 'node:dgram';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { WebrtcPhone, patternPayload } from '../../../test/support/webrtc-phone.js';
import { parsePlainSdp, plainSdp } from './plain-sdp.js';
import { RelayPool } from './relay-pool.js';

const log = pino({ level: 'silent' });

/** A plain RTP phone: one UDP socket, packets of the test pattern out, payloads in. */
async function rtpPhone() {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const received: Buffer[] = [];
  socket.on('message', (msg) => received.push(msg.subarray(12)));
  return {
    socket,
    received,
    sdp: plainSdp('127.0.0.1', socket.address().port, { telephoneEvent: 101 }),
    send(to: { address: string; port: number }, i: number) {
      const head = Buffer.alloc(12);
      head[0] = 0x80;
      head.writeUInt16BE(i, 2);
      head.writeUInt32BE(i * 160, 4);
      head.writeUInt32BE(0x1234, 8);
      socket.send(Buffer.concat([head, patternPayload(i)]), to.port, to.address);
    },
  };
}

const until = async (ok: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('the relay pool', () => {
  let cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup = [];
  });

  // threads: 1 is a worker thread (relay-worker.ts through tsx here); 0 the main thread.
  for (const threads of [1, 0]) {
    it(`relays a call from the phone both ways (threads: ${threads}), its figures back on close`, async () => {
      const pool = new RelayPool({ bindAddress: '127.0.0.1', iceServers: [] }, threads, log);
      const phone = await rtpPhone();
      const client = new WebrtcPhone();
      cleanup.push(
        () => pool.stop(),
        async () => void phone.socket.close(),
        () => client.pc.close(),
      );
      const relay = pool.open();
      const offer = await relay.sipOffered(phone.sdp);
      expect(offer).toContain('a=fingerprint');
      expect(relay.sendsDigits).toBe(true); // its state comes back with each step's answer
      const toPhone = parsePlainSdp(await relay.matrixAnswered(await client.answer(offer)))!;
      await client.connected();
      for (let i = 0; i < 10; i++) phone.send(toPhone, i);
      await client.sendPattern(10);
      await until(() => client.received.length >= 10 && phone.received.length >= 10);
      expect(client.received.slice(0, 10)).toEqual([...Array(10).keys()].map(patternPayload));
      expect(phone.received.slice(0, 10)).toEqual([...Array(10).keys()].map(patternPayload));
      await relay.close();
      expect(relay.stats.toMatrix.packets).toBe(10);
      expect(relay.stats.toSip.packets).toBeGreaterThanOrEqual(10);
      expect(relay.quality.toMatrix.received).toBe(10);
      await expect(relay.sipReoffered(phone.sdp)).rejects.toThrow(/ended/);
    });
  }

  it('spreads calls over its threads, and a refused SDP is an error of that step', async () => {
    const pool = new RelayPool({ bindAddress: '127.0.0.1', iceServers: [] }, 2, log);
    cleanup.push(() => pool.stop());
    const relays = [pool.open(), pool.open(), pool.open()];
    await expect(relays[0]!.sipOffered('v=0\r\nm=video 4000 RTP/AVP 96\r\n')).rejects.toThrow(
      /no usable RTP\/AVP audio/,
    );
    expect(await pool.loopDelay(true)).toHaveLength(2);
    await Promise.all(relays.map((r) => r.close()));
  });
});
