/**
 * One peer process of `bench:sip-media --peer-processes N` (peer-protocol.ts): its share of the
 * calls' phones (UDP sockets) and Matrix clients (werift peers), pacing their own streams on its
 * own event loop, as separate devices do. Payloads are stamped in epoch ms, so a packet sent here
 * and received in another peer process still has its one-way delay; every arrival is kept raw,
 * and the main process puts each stream together from its sender's and its receiver's figures.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { installFastRtpHeader } from '../../bridges/sip/media/werift-rtp-header.js';
import { pace50, peerProcess, RtpEnd, WebrtcEnd } from './media-peers.js';
import { idBase, parseMessage, toPeer, type Arrivals, type FromPeer } from './peer-protocol.js';

// As the main process's peers: headers parsed as the bridge's relay does (the cheaper generator).
installFastRtpHeader();
const arrivals: Arrivals = { id: [], index: [], delay: [], name: [] };
// All of them, from the first: another process's measured window may start a little earlier.
peerProcess(idBase(Number(process.argv[2])), (id, index, delay, name) => {
  arrivals.id.push(id);
  arrivals.index.push(index);
  arrivals.delay.push(delay);
  arrivals.name.push(name);
});

const phones = new Map<number, RtpEnd>();
const matrix: WebrtcEnd[] = [];
let stopPacing: (() => void) | undefined;
let cpu0: NodeJS.CpuUsage | undefined;
let t0 = 0;
let window = { corePercent: 0, loopMs: { p50: 0, p99: 0, max: 0 } };
const loop = monitorEventLoopDelay({ resolution: 1 });
const reply = (msg: FromPeer) => process.send?.(msg);

process.on('message', (raw: unknown) => {
  const msg = parseMessage(toPeer, raw, 'peer process');
  const { req } = msg;
  void (async (): Promise<FromPeer> => {
    switch (msg.type) {
      case 'phone': {
        const end = new RtpEnd();
        phones.set(msg.end, end);
        const { body } = await end.getDescription();
        return { type: 'sdp', req, sdp: body };
      }
      case 'phone-answer':
        await phones.get(msg.end)!.setDescription(msg.sdp);
        return { type: 'done', req };
      case 'matrix': {
        const end = new WebrtcEnd();
        matrix.push(end);
        return { type: 'sdp', req, sdp: await end.answer(msg.offer) };
      }
      case 'connected': {
        const r = await Promise.allSettled(matrix.map((e) => e.connected(msg.ms)));
        const failed = r.filter((x) => x.status === 'rejected').length;
        const ready = [...phones.values()].filter((e) => e.ready).length;
        return { type: 'connected', req, matrix: matrix.length, failed, phones: ready };
      }
      case 'pace':
        stopPacing?.();
        stopPacing = msg.on
          ? pace50([...[...phones.values()].filter((e) => e.ready), ...matrix])
          : undefined;
        return { type: 'done', req };
      case 'measure':
        for (const e of [...phones.values(), ...matrix]) e.out.measure(msg.on);
        if (msg.on) {
          cpu0 = process.cpuUsage();
          t0 = performance.now();
          loop.reset();
          loop.enable();
        } else {
          const cpu = process.cpuUsage(cpu0);
          loop.disable();
          window = {
            corePercent: (cpu.user + cpu.system) / 10 / (performance.now() - t0),
            loopMs: {
              p50: loop.percentile(50) / 1e6,
              p99: loop.percentile(99) / 1e6,
              max: loop.max / 1e6,
            },
          };
        }
        return { type: 'done', req };
      case 'results': {
        const sent = [
          ...[...phones.values()].map((e) => ({ e, way: 'a' as const })),
          ...matrix.map((e) => ({ e, way: 'b' as const })),
        ].map(({ e, way }) => {
          const [from, to] = e.out.window;
          // JSON has no holes: a packet sent without a name (werift's own header) is null.
          const names = Array.from(e.out.names.sent, (n) => n ?? null);
          return { id: e.out.id, way, from, to, sentMeasured: e.out.sentMeasured, names };
        });
        return { type: 'results', req, sent, arrivals, ...window };
      }
      case 'close':
        stopPacing?.();
        for (const e of phones.values()) e.close();
        await Promise.all(matrix.map((e) => e.close().catch(() => undefined)));
        return { type: 'done', req };
    }
  })().then(reply, (err: unknown) => reply({ type: 'error', req, message: String(err) }));
});
