/**
 * The XMPP benchmark's measure on the wire (`--wire`): tcpdump on `lo` (kernel timestamps, as the
 * SIP benchmark's wire-capture.ts takes them) of what goes into Prosody's component port (the
 * bridge's and the plain component's stanzas) and out of its client port (to Alice, Bob and
 * Carol), whole packets. A groupchat message's body names it, so for each message the capture
 * gives when it went into Prosody and when Prosody wrote it to each client: Prosody's hold of
 * it (reading, routing, the room's fan-out, its own write queue, and its waits for a core),
 * without any process's clock or event loop in between. And how the sender grouped its stanzas
 * into TCP segments: Prosody's loop (net.server_epoll) reads up to 8 KiB, handles every stanza
 * in it, and only then writes what they queued (its writes wait for the next poll unless
 * `opportunistic_writes`), so a stanza's hold depends on how many came with it.
 */
import { readFileSync } from 'node:fs';
import type { CaptureCounts } from './wire-capture.js';
import { WireCapture } from './wire-capture.js';
import { percentile, round } from './stats.js';

/** One message as it went into Prosody: when (epoch ms), in which segment, at which place. */
interface Into {
  at: number;
  segment: number;
  index: number;
}

export interface WireTimes {
  /** By body: its first appearance going into the component port. */
  into: Map<string, Into>;
  /** Stanzas (message bodies) in each segment into the component port. */
  segmentSize: Map<number, number>;
  /** Client (`carol`, …) → body → when Prosody's write to them was on the wire. */
  out: Map<string, Map<string, number>>;
}

const BODY = /<body>([^<]{1,40})<\/body>/g;

/** Reads a capture (libpcap, microseconds, IPv4 over `lo`'s Ethernet or Linux cooked header). */
export function readWire(file: string, c2sPort: number, componentPort: number): WireTimes {
  const buf = readFileSync(file);
  const linkType = buf.readUInt32LE(20);
  const linkHeader = linkType === 1 ? 14 : linkType === 113 ? 16 : linkType === 276 ? 20 : -1;
  if (linkHeader < 0) throw new Error(`the capture's link type ${linkType} is not read here`);
  const into = new Map<string, Into>();
  const segmentSize = new Map<number, number>();
  const out = new Map<string, Map<string, number>>();
  const clientOf = new Map<number, string>();
  let segment = 0;
  for (let off = 24; off + 16 <= buf.length;) {
    const at = buf.readUInt32LE(off) * 1000 + buf.readUInt32LE(off + 4) / 1000;
    const length = buf.readUInt32LE(off + 8);
    const pkt = buf.subarray(off + 16, off + 16 + length);
    off += 16 + length;
    let p = linkHeader;
    if (pkt.length < p + 20 || pkt[p]! >> 4 !== 4 || pkt[p + 9] !== 6) continue; // IPv4, TCP
    p += (pkt[p]! & 15) * 4;
    const from = pkt.readUInt16BE(p);
    const to = pkt.readUInt16BE(p + 2);
    p += (pkt[p + 12]! >> 4) * 4;
    if (p >= pkt.length) continue;
    const text = pkt.subarray(p).toString('latin1');
    if (to === componentPort) {
      segment++;
      let index = 0;
      for (const m of text.matchAll(BODY))
        if (!into.has(m[1]!)) into.set(m[1]!, { at, segment, index: index++ });
      if (index) segmentSize.set(segment, index);
    } else if (from === c2sPort) {
      let client = clientOf.get(to);
      if (!client) {
        client = /<message[^>]* to=["']([^@"']+)@/.exec(text)?.[1];
        if (!client) continue;
        clientOf.set(to, client);
      }
      let got = out.get(client);
      if (!got) out.set(client, (got = new Map()));
      for (const m of text.matchAll(BODY)) if (!got.has(m[1]!)) got.set(m[1]!, at);
    }
  }
  return { into, segmentSize, out };
}

const spread = (values: number[]) => {
  const sorted = values.sort((a, b) => a - b);
  return sorted.length
    ? `p50 ${round(percentile(sorted, 50), 2)}, p99 ${round(percentile(sorted, 99), 2)}, max ${round(sorted.at(-1)!, 2)} ms`
    : 'none';
};

/**
 * Prosody's hold of the messages with `prefix` (in at its component port → out of `client`'s
 * socket), for all, for the first stanza of each segment and for the others, and how many
 * stanzas a segment carried.
 */
export function holdLine(times: WireTimes, prefix: string, client = 'carol'): string {
  const got = times.out.get(client) ?? new Map<string, number>();
  const first: number[] = [];
  const later: number[] = [];
  const segments = new Map<number, number>();
  for (const [body, { at, segment, index }] of times.into) {
    if (!body.startsWith(`${prefix} `)) continue;
    segments.set(segment, times.segmentSize.get(segment) ?? 1);
    const o = got.get(body);
    if (o === undefined) continue;
    (index === 0 ? first : later).push(o - at);
  }
  const sizes = [...segments.values()];
  const stanzas = sizes.reduce((a, b) => a + b, 0);
  const all = [...first, ...later];
  return `${all.length} of them: ${spread(all)}; the first stanza of a segment ${spread(first)}, the others ${spread(later)}; ${stanzas} stanzas in ${sizes.length} segments (${round(stanzas / Math.max(1, sizes.length), 2)} a segment, max ${Math.max(0, ...sizes)}, ${sizes.filter((s) => s > 1).length} with more than one)`;
}

/**
 * The report of a run's capture: Prosody's hold of the bridge's paced messages, and of the plain
 * component's lines the run had (alone, with the bridge's shape, the control at once).
 */
export function wireReport(
  counts: CaptureCounts,
  times: WireTimes,
  rate: number,
  lines: { plain: boolean; shape: boolean; control: boolean },
): string[] {
  return [
    `On the wire (tcpdump on lo: ${counts.captured} packets, ${counts.dropped} dropped by the kernel; tcpdump's CPU ${round(counts.cpuMs)} ms): Prosody's hold, a message into its component port → out of Carol's socket, at ${rate} msg/s`,
    `  the bridge's (Matrix → XMPP): ${holdLine(times, 'q')}`,
    ...(lines.plain ? [`  the plain component's: ${holdLine(times, 'pm')}`] : []),
    ...(lines.shape
      ? [`  the plain component's with the bridge's shape: ${holdLine(times, 'pg')}`]
      : []),
    ...(lines.control
      ? [
          `  control, the bridge's: ${holdLine(times, 'c')}`,
          `  control, the plain component's: ${holdLine(times, 'k')}`,
        ]
      : []),
  ];
}

/** A capture of the component port's way in and the client port's way out. */
export class XmppWire {
  private constructor(
    private readonly capture: WireCapture,
    private readonly c2sPort: number,
    private readonly componentPort: number,
  ) {}

  static async start(dir: string, c2sPort: number, componentPort: number): Promise<XmppWire> {
    const capture = await WireCapture.start(dir, {
      name: 'xmpp.pcap',
      snaplen: 0,
      filter: `tcp and (dst port ${componentPort} or src port ${c2sPort})`,
    });
    return new XmppWire(capture, c2sPort, componentPort);
  }

  async stop(): Promise<{ counts: CaptureCounts; times: WireTimes }> {
    const counts = await this.capture.stop();
    return { counts, times: readWire(this.capture.file, this.c2sPort, this.componentPort) };
  }

  kill(): void {
    this.capture.kill();
  }
}
