/**
 * Where a relayed packet waits, measured inside the media thread (read by `bench:sip-media`
 * through the pool's `loopDelay`):
 *
 * - `arrivalMs`: how late packets reach the relay's handler, as delay variation: each packet's
 *   transit (the moment its handler runs less its RTP timestamp, at 8 kHz) above its stream's
 *   smallest. A sender whose RTP timestamps follow its real send moments (the benchmark's do)
 *   makes this the time a packet waited between being sent and being handled: the sockets'
 *   buffers while the relay's event loop was busy elsewhere (for the WebRTC leg, the SRTP
 *   decryption is in it too). With timestamps on a fixed clock, the sender's own lateness adds.
 * - `heldUs`: how long the relay itself holds a packet: its handler's start to the send on the
 *   other leg returning (header work, SRTP encryption, the UDP send), in microseconds.
 *
 * Each way apart. Histograms of node:perf_hooks: a record costs well under a microsecond.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
  count: number;
}

export interface WayFigures {
  arrivalMs: Percentiles;
  heldUs: Percentiles;
}

export interface ProbeFigures {
  toSip: WayFigures;
  toMatrix: WayFigures;
}

/** One direction's two histograms (recorded in microseconds). */
class Way {
  private readonly arrival: RecordableHistogram = createHistogram();
  private readonly held: RecordableHistogram = createHistogram();

  /** A packet handled at `startMs` (performance.now()), `variationMs` late, sent by `endMs`. */
  record(variationMs: number | undefined, startMs: number, endMs: number): void {
    if (variationMs !== undefined) this.arrival.record(Math.max(1, Math.round(variationMs * 1000)));
    this.held.record(Math.max(1, Math.round((endMs - startMs) * 1000)));
  }

  figures(): WayFigures {
    return { arrivalMs: percentiles(this.arrival, 1000), heldUs: percentiles(this.held, 1) };
  }

  reset(): void {
    this.arrival.reset();
    this.held.reset();
  }
}

function percentiles(h: RecordableHistogram, per: number): Percentiles {
  if (h.count === 0) return { p50: 0, p99: 0, max: 0, count: 0 };
  return {
    p50: h.percentile(50) / per,
    p99: h.percentile(99) / per,
    max: h.max / per,
    count: h.count,
  };
}

/** The probe of one media thread: every relay on it records into it. */
export class RelayProbe {
  readonly toSip = new Way();
  readonly toMatrix = new Way();

  figures(): ProbeFigures {
    return { toSip: this.toSip.figures(), toMatrix: this.toMatrix.figures() };
  }

  reset(): void {
    this.toSip.reset();
    this.toMatrix.reset();
  }
}

/**
 * A stream's transit (arrival less RTP timestamp) above its smallest so far: the delay variation
 * of one packet (undefined for the first of a source, and after a jump of the timestamps).
 */
export class TransitFloor {
  private ssrc?: number;
  private floor = Infinity;

  variation(ssrc: number, timestamp: number, arrivalMs: number): number | undefined {
    const transit = arrivalMs - timestamp / 8;
    if (ssrc !== this.ssrc || transit < this.floor - 10_000 || transit > this.floor + 10_000) {
      // A new source, or its timestamps jumped (a wrap, a restart): a new floor.
      this.ssrc = ssrc;
      this.floor = transit;
      return undefined;
    }
    if (transit < this.floor) this.floor = transit;
    return transit - this.floor;
  }
}
