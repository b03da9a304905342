import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
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
    send(to: { address: string; port: number }, i: number, payloadType = 0) {
      const head = Buffer.alloc(12);
      head[0] = 0x80;
      head[1] = payloadType;
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

  // threads: 1 is a worker thread (relay-worker.ts through tsx here); 0 the main thread; with
  // process, a child process (relay-process.ts).
  for (const [threads, processes] of [
    [1, false],
    [0, false],
    [1, true],
  ] as const) {
    it(`relays a call from the phone both ways (threads: ${threads}${processes ? ', process' : ''}), its figures back on close`, async () => {
      const pool = new RelayPool(
        { bindAddress: '127.0.0.1', iceServers: [] },
        threads,
        log,
        undefined,
        undefined,
        undefined,
        processes,
      );
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
    }, 30_000); // a worker compiles the relay's TypeScript when it starts (tsx)
  }

  it('labels PCMA from the phone as PCMA toward a client that agreed to both G.711 laws', async () => {
    const pool = new RelayPool({ bindAddress: '127.0.0.1', iceServers: [] }, 0, log);
    const phone = await rtpPhone();
    const client = new WebrtcPhone({ pcma: true });
    cleanup.push(
      () => pool.stop(),
      async () => void phone.socket.close(),
      () => client.pc.close(),
    );
    const relay = pool.open();
    const offer = await relay.sipOffered(phone.sdp);
    const toPhone = parsePlainSdp(await relay.matrixAnswered(await client.answer(offer)))!;
    await client.connected();
    for (let i = 0; i < 10; i++) phone.send(toPhone, i, i < 5 ? 8 : 0); // A-law, then μ-law
    await until(() => client.received.length >= 10);
    expect(client.receivedTypes.slice(0, 10)).toEqual([8, 8, 8, 8, 8, 0, 0, 0, 0, 0]);
    expect(client.received.slice(0, 10)).toEqual([...Array(10).keys()].map(patternPayload));
    await relay.close();
  }, 30_000);

  it('spreads calls over its threads, and a refused SDP is an error of that step', async () => {
    const pool = new RelayPool({ bindAddress: '127.0.0.1', iceServers: [] }, 2, log);
    cleanup.push(() => pool.stop());
    const relays = [pool.open(), pool.open(), pool.open()];
    await expect(relays[0]!.sipOffered('v=0\r\nm=video 4000 RTP/AVP 96\r\n')).rejects.toThrow(
      /no usable RTP\/AVP audio/,
    );
    expect(await pool.loopDelay(true)).toHaveLength(2);
    await Promise.all(relays.map((r) => r.close()));
  }, 30_000);

  it('a media thread that dies tells each of its calls, once; new calls go to a new thread', async () => {
    const pool = new RelayPool({ bindAddress: '127.0.0.1', iceServers: [] }, 1, log);
    cleanup.push(() => pool.stop());
    await pool.start();
    const phone = await rtpPhone();
    cleanup.push(async () => void phone.socket.close());
    const [a, b] = [pool.open(), pool.open()];
    await a.sipOffered(phone.sdp);
    const lost: string[] = [];
    a.whenLost((why) => lost.push(`a: ${why}`));
    b.whenLost((why) => lost.push(`b: ${why}`));
    const closed = pool.open();
    await closed.close(); // a call already over is not told
    closed.whenLost((why) => lost.push(`closed: ${why}`));
    await pool.crashThread(0);
    await until(() => lost.length >= 2);
    expect(lost.sort()).toEqual([
      'a: the media thread exited (1)',
      'b: the media thread exited (1)',
    ]);
    expect(a.lost).toBe('the media thread exited (1)');
    await expect(a.sipReoffered(phone.sdp)).rejects.toThrow(/stopped/);
    // Told at once to one that listens after the thread died.
    const late = await new Promise<string>((resolve) => b.whenLost(resolve));
    expect(late).toBe('the media thread exited (1)');
    // The next call gets a thread that works.
    const c = pool.open();
    expect(await c.sipOffered(phone.sdp)).toContain('a=fingerprint');
    expect(await pool.loopDelay(false)).toHaveLength(1);
    await Promise.all([a, b, c].map((r) => r.close()));
    expect(lost).toHaveLength(2);
  }, 30_000);

  it('gives each media thread media.young_generation_mb as its young generation', async () => {
    const pool = new RelayPool(
      { bindAddress: '127.0.0.1', iceServers: [] },
      2,
      log,
      undefined,
      undefined,
      4,
    );
    const plain = new RelayPool({ bindAddress: '127.0.0.1', iceServers: [] }, 1, log);
    cleanup.push(
      () => pool.stop(),
      () => plain.stop(),
    );
    await Promise.all([pool.start(), plain.start()]);
    const limits = pool.resourceLimits();
    expect(limits).toHaveLength(2);
    for (const l of limits) expect(l.maxYoungGenerationSizeMb).toBe(4);
    // Without the key, V8's own (larger) young generation.
    expect(plain.resourceLimits()[0]!.maxYoungGenerationSizeMb).toBeGreaterThan(4);
    // A thread's GC figures come once a window was started (the benchmark's mark), not before.
    const first = await pool.loopDelay(true);
    expect(first.every((d) => d.gc === undefined)).toBe(true);
    const window = await pool.loopDelay(false);
    for (const d of window) expect(d.gc?.windowMs).toBeGreaterThan(0);
  }, 30_000);

  it('media.process: each media thread a process of its own, its calls told when it dies', async () => {
    const pool = new RelayPool(
      { bindAddress: '127.0.0.1', iceServers: [] },
      1,
      log,
      undefined,
      undefined,
      4,
      true,
    );
    cleanup.push(() => pool.stop());
    await pool.start();
    const [delay] = await pool.loopDelay(true);
    expect(delay!.pid).toBeGreaterThan(0);
    expect(delay!.pid).not.toBe(process.pid);
    expect(delay!.tid).toBe(delay!.pid); // the media thread is its process's main thread
    expect(pool.resourceLimits()).toEqual([{ maxYoungGenerationSizeMb: 4 }]);
    // Its V8 collects on its one thread, its semi-spaces a third of the young generation each.
    const argv = readFileSync(`/proc/${delay!.pid}/cmdline`, 'utf8').split('\0');
    expect(argv).toContain('--single-threaded-gc');
    expect(argv).toContain('--max-semi-space-size=1');
    const phone = await rtpPhone();
    cleanup.push(async () => void phone.socket.close());
    const a = pool.open();
    await a.sipOffered(phone.sdp);
    const lost: string[] = [];
    a.whenLost((why) => lost.push(why));
    await pool.crashThread(0);
    await until(() => lost.length >= 1);
    expect(lost).toEqual(['the media process exited (SIGKILL)']);
    // The next call gets a new process.
    const b = pool.open();
    expect(await b.sipOffered(phone.sdp)).toContain('a=fingerprint');
    const [next] = await pool.loopDelay(false);
    expect(next!.pid).not.toBe(delay!.pid);
    await b.close();
  }, 30_000);
});
