/**
 * The quality of one RTP stream as the relay receives it (RFC 3550 §6.4.1, A.1, A.8): packets
 * expected from the sequence numbers (wrap-around and a change of source handled) against those
 * that came, and the interarrival jitter (in milliseconds at G.711's 8 kHz clock).
 */

const CLOCK = 8000;

export interface QualityFigures {
  received: number;
  expected: number;
  lost: number;
  /** lost / expected, 0 when nothing was expected. */
  lossRatio: number;
  jitterMs: number;
}

export class StreamQuality {
  private ssrc?: number;
  /** The extended sequence numbers of the current source's first and highest packets. */
  private first = 0;
  private max = 0;
  private receivedNow = 0;
  /** Sources before the current one. */
  private expectedBefore = 0;
  private receivedBefore = 0;
  private transit?: number;
  private lastTimestamp?: number;
  /** RFC 3550's J, in timestamp units. */
  private jitter = 0;

  /** One packet: its source, sequence number and timestamp, and when it came (ms). */
  add(ssrc: number, seq: number, timestamp: number, arrivalMs: number): void {
    if (ssrc !== this.ssrc) {
      this.expectedBefore += this.expectedNow();
      this.receivedBefore += this.receivedNow;
      this.ssrc = ssrc;
      this.first = this.max = seq;
      this.receivedNow = 0;
      this.transit = undefined;
      this.lastTimestamp = undefined;
    } else {
      let ext = (this.max & ~0xffff) + seq;
      if (ext < this.max - 0x8000) ext += 0x10000;
      else if (ext > this.max + 0x8000) ext -= 0x10000;
      if (ext > this.max) this.max = ext;
    }
    this.receivedNow++;
    // Packets of one telephone-event share a timestamp: they say nothing of the jitter.
    if (timestamp === this.lastTimestamp) return;
    this.lastTimestamp = timestamp;
    const transit = (arrivalMs * CLOCK) / 1000 - timestamp;
    if (this.transit !== undefined) {
      let d = Math.abs(transit - this.transit);
      if (d > 0x80000000) d = Math.abs(d - 0x100000000); // the timestamp wrapped
      this.jitter += (d - this.jitter) / 16;
    }
    this.transit = transit;
  }

  private expectedNow(): number {
    return this.ssrc === undefined ? 0 : this.max - this.first + 1;
  }

  get figures(): QualityFigures {
    const expected = this.expectedBefore + this.expectedNow();
    const received = this.receivedBefore + this.receivedNow;
    const lost = Math.max(0, expected - received);
    return {
      received,
      expected,
      lost,
      lossRatio: expected > 0 ? lost / expected : 0,
      jitterMs: (this.jitter * 1000) / CLOCK,
    };
  }
}
