/**
 * The SIP media benchmark's measure at the bridge: a capture of the RTP on `lo` over the measured
 * window (wire-capture.ts), each relayed packet's datagram in matched with the bridge's datagram
 * out (wire-hold.ts), per direction. `--wire` requires it, `--no-wire` leaves it out; by default
 * it is on where it can be (Linux, tcpdump there or installable, CAP_NET_RAW), and the output
 * says which and why.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamFigures } from './media-peers.js';
import { round } from './stats.js';
import { ensureTcpdump, WireCapture, type CaptureCounts } from './wire-capture.js';
import { wireHold, type WireFigures } from './wire-hold.js';
import { gcOverlap, type GcOverlap } from './gc-overlap.js';

/** Whether this process may capture: CAP_NET_RAW (bit 13) in its effective set. */
function hasNetRaw(): boolean {
  try {
    const hex = /^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return hex !== undefined && (BigInt(`0x${hex}`) & (1n << 13n)) !== 0n;
  } catch {
    return false;
  }
}

export interface WireResults {
  capture: CaptureCounts;
  toMatrix: WireFigures;
  toSip: WireFigures;
  /** Each way: whether the slowest packets were held in the media threads' GC pauses. */
  gc?: { toMatrix: GcOverlap; toSip: GcOverlap };
}

export class WireMeasure {
  private capture?: WireCapture;
  private readonly dir = mkdtempSync(join(tmpdir(), 'sb-bench-wire-'));
  /** The last window's matched packets, [t_in, t_out] (µs) each way (not in the JSON). */
  pairs?: { toMatrix: [number, number][]; toSip: [number, number][] };

  private constructor(
    readonly tcpdump: string,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * The measure, or undefined when off (told in a line). `mode`: 'on' (--wire: an error when it
   * cannot), 'off' (--no-wire), 'auto'.
   */
  static open(
    mode: 'on' | 'off' | 'auto',
    repo: string,
    log: (line: string) => void,
  ): WireMeasure | undefined {
    if (mode === 'off') {
      log('at the bridge on the wire: off (--no-wire)');
      return undefined;
    }
    const why =
      process.platform !== 'linux'
        ? 'not Linux'
        : !hasNetRaw()
          ? 'no CAP_NET_RAW (run as root)'
          : undefined;
    if (why && mode === 'auto') {
      log(
        `at the bridge on the wire: off (${why}; --wire to require it, --no-wire to silence this)`,
      );
      return undefined;
    }
    if (why) throw new Error(`--wire: ${why}; or run with --no-wire`);
    const version = ensureTcpdump(repo);
    log(
      `at the bridge on the wire: on (${version}, kernel timestamps on lo; --no-wire to leave out)`,
    );
    return new WireMeasure(version, log);
  }

  async start(): Promise<void> {
    this.capture = await WireCapture.start(this.dir);
  }

  /**
   * Stops the capture and matches the two directions' packets (`a`: the phones', toward Matrix);
   * with the media threads' GC pauses ([start, length], µs), which packets were held in one.
   */
  async finish(
    streams: { a: StreamFigures[]; b: StreamFigures[] },
    pauses?: () => Promise<[number, number][] | undefined>,
  ): Promise<WireResults> {
    const capture = this.capture;
    if (!capture) throw new Error('the wire capture was never started');
    this.capture = undefined;
    try {
      const counts = await capture.stop();
      const wire = await capture.read();
      const pairs = { toMatrix: [] as [number, number][], toSip: [] as [number, number][] };
      const toMatrix = wireHold(
        streams.a.map((s) => s.names),
        wire,
        false,
        pairs.toMatrix,
      );
      const toSip = wireHold(
        streams.b.map((s) => s.names),
        wire,
        true,
        pairs.toSip,
      );
      this.pairs = pairs;
      const gc = await pauses?.();
      return {
        capture: counts,
        toMatrix,
        toSip,
        ...(gc
          ? { gc: { toMatrix: gcOverlap(pairs.toMatrix, gc), toSip: gcOverlap(pairs.toSip, gc) } }
          : {}),
      };
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  describe(r: WireResults): void {
    const c = r.capture;
    this.log(
      `  at the bridge, kernel timestamps on lo: ${c.captured} RTP datagrams captured, ${c.dropped} dropped by the kernel` +
        ` (tcpdump's own CPU ${round(c.cpuMs)} ms)` +
        (c.dropped
          ? ` — THE CAPTURE IS INCOMPLETE: ${c.dropped} datagrams are missing below (unmatched), the figures are not whole`
          : ''),
    );
    for (const [label, f] of [
      ['SIP → Matrix', r.toMatrix],
      ['Matrix → SIP', r.toSip],
    ] as const)
      this.log(
        `  ${label.padEnd(16)} ${f.streams} streams: ${f.matched} packets matched in → out` +
          ` (unmatched: ${f.inOnly} in without out, ${f.outOnly} out without in, ${f.unseen} on the wire neither way;` +
          ` relay's header mapping as documented in ${f.mapping});` +
          ` held by the bridge p50 ${round(f.holdMs.p50, 3)} / p99 ${round(f.holdMs.p99, 2)} / max ${round(f.holdMs.max, 1)} ms;` +
          ` added delay variation p50 ${round(f.variationMs.p50, 2)} / p99 ${round(f.variationMs.p99, 2)} / max ${round(f.variationMs.max, 1)} ms`,
      );
    if (!r.gc) return;
    for (const [label, g] of [
      ['SIP → Matrix', r.gc.toMatrix],
      ['Matrix → SIP', r.gc.toSip],
    ] as const)
      this.log(
        `  ${label.padEnd(16)} in the media threads' GC pauses (${g.pauses} over the window):` +
          ` ${round(g.slowestInPausePercent, 1)} % of the ${g.slowest} packets held ≥ p99 (${round(g.p99HoldMs, 2)} ms),` +
          ` ${round(g.allInPausePercent, 2)} % of all ${g.packets} (chance);` +
          ` hold p50 in a pause ${round(g.inPauseHoldP50Ms, 2)} ms, outside ${round(g.outsideHoldP50Ms, 3)} ms;` +
          ` p99 of the packets in no pause ${round(g.outsideHoldP99Ms, 2)} ms`,
      );
  }

  /** Stops a capture still running (the benchmark failed). */
  abort(): void {
    this.capture?.kill();
    this.capture = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
