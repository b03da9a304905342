/**
 * RFC 4733 telephone-events (DTMF in the media): reading the digits a phone sends, and writing the
 * packets of a digit. A payload is 4 bytes: the event (0-9, 10 `*`, 11 `#`, 12-15 A-D), the end
 * bit, 6 bits of volume, and the duration so far in timestamp units; one event keeps one RTP
 * timestamp, and its end packet is sent three times.
 */

const DIGITS = '0123456789*#ABCD';

export interface TelephoneEvent {
  event: number;
  end: boolean;
  volume: number;
  duration: number;
}

export function parseEvent(payload: Uint8Array): TelephoneEvent | undefined {
  if (payload.length < 4) return undefined;
  return {
    event: payload[0]!,
    end: (payload[1]! & 0x80) !== 0,
    volume: payload[1]! & 0x3f,
    duration: (payload[2]! << 8) | payload[3]!,
  };
}

/** The digit of an event number; undefined for events that are no DTMF digit (tones, flash). */
export const digitOf = (event: number): string | undefined => DIGITS[event];

export const isDtmfDigit = (c: string): boolean => c.length === 1 && DIGITS.includes(c);

/**
 * Tells each digit once: at the first packet of a new event (a new timestamp or source), so a
 * digit shows while it is pressed and the end packet's repeats are not counted again.
 */
export class DigitDetector {
  private last?: string;

  /** The digit this packet starts, if it starts one. */
  take(ssrc: number, timestamp: number, payload: Uint8Array): string | undefined {
    const ev = parseEvent(payload);
    if (!ev) return undefined;
    const key = `${ssrc}:${timestamp}`;
    if (key === this.last) return undefined;
    this.last = key;
    return digitOf(ev.event);
  }
}

/** Samples per packet (20 ms at 8 kHz) and a digit's length (100 ms), in timestamp units. */
const STEP = 160;
const LENGTH = 800;
const VOLUME = 10;

/** The payloads of one digit: its duration growing every 20 ms, then the end packet three times. */
export function digitPayloads(digit: string): { payload: Buffer; marker: boolean }[] {
  const event = DIGITS.indexOf(digit.toUpperCase());
  if (event < 0) throw new Error(`not a DTMF digit: ${digit}`);
  const packet = (duration: number, end: boolean) => {
    const b = Buffer.alloc(4);
    b[0] = event;
    b[1] = (end ? 0x80 : 0) | VOLUME;
    b.writeUInt16BE(duration, 2);
    return b;
  };
  const out: { payload: Buffer; marker: boolean }[] = [];
  for (let d = STEP; d < LENGTH; d += STEP)
    out.push({ payload: packet(d, false), marker: d === STEP });
  for (let i = 0; i < 3; i++) out.push({ payload: packet(LENGTH, true), marker: false });
  return out;
}

/** The telephone-event payload type of an SDP's first audio stream (`a=rtpmap:<pt> telephone-event/8000`). */
export function telephoneEventType(sdp: string): number | undefined {
  let inAudio = false;
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('m=')) {
      if (inAudio) break;
      inAudio = line.startsWith('m=audio ');
      continue;
    }
    const m = inAudio && /^a=rtpmap:(\d{1,3}) telephone-event\/8000$/i.exec(line);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/**
 * Sends `digits` as RFC 4733 events, 100 ms each and 60 ms apart: each packet through `send`
 * with the timestamp of its digit (`clock.timestamp`, moved past each digit and its gap). `send`
 * answering false (the call ended) stops it.
 */
export async function sendDigitEvents(
  digits: string,
  clock: { timestamp: number },
  send: (payload: Buffer, marker: boolean, timestamp: number) => boolean,
): Promise<void> {
  for (const digit of digits) {
    const timestamp = clock.timestamp;
    for (const { payload, marker } of digitPayloads(digit)) {
      if (!send(payload, marker, timestamp)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    clock.timestamp = (clock.timestamp + 1600) >>> 0; // past the digit and its gap
    await new Promise((r) => setTimeout(r, 60));
  }
}
