/**
 * The XMPP benchmark's `--stages` table: for the paced XMPP → Matrix messages, how long each
 * waited between two stages (lib/stage-clock.ts), p50 / p99 / max, from the benchmark's send to
 * the homeserver's answer. All times are epoch milliseconds (both processes' clocks are the
 * machine's).
 */
import { IN_STAGES, OUT_STAGES, type Stage, type StageTimes } from './stage-clock.js';
import { percentile, round } from './stats.js';

type Point = 'sent' | Stage | 'homeserver' | 'client';

const NAMES: Record<Point, string> = {
  sent: 'client sent',
  read: 'first copy off the socket',
  parsed: 'parsed',
  emit: 'connector emit',
  scheduled: 'stored, queued for the room',
  dequeued: 'its turn in the room',
  http: 'PUT handed to HTTP',
  homeserver: 'homeserver got it',
  answered: 'answer read',
  received: 'transaction arrived',
  stored: 'in the inbox, queued for the room',
  connector: 'connector asked to send',
  queued: 'stanza handed to the connection',
  written: 'socket took it',
  client: 'XMPP client got it',
};

/** XMPP → Matrix: from the client's send to the homeserver's answer. */
export const IN_POINTS: Point[] = ['sent', ...IN_STAGES.slice(0, 6), 'homeserver', 'answered'];
/** Matrix → XMPP: from the homeserver's send of the transaction to the XMPP client's receipt. */
export const OUT_POINTS: Point[] = ['sent', ...OUT_STAGES, 'client'];

/**
 * `sent` and `arrived`: by body, epoch ms of the send at the start and of the receipt at the end
 * (the homeserver's XMPP → Matrix, the XMPP client's Matrix → XMPP). Returns the table's lines.
 */
export function stageTable(
  points: Point[],
  times: StageTimes,
  sent: Map<string, number>,
  arrived: Map<string, number>,
): string[] {
  const end: Point = points.includes('homeserver') ? 'homeserver' : 'client';
  const rows = [...sent.keys()].map((body) => {
    const t = times[body] ?? {};
    return { sent: sent.get(body), [end]: arrived.get(body), ...t } as Partial<
      Record<Point, number>
    >;
  });
  const complete = rows.filter((r) => points.every((p) => r[p] !== undefined));
  const lines = [
    `stages of ${complete.length} of ${rows.length} paced messages (ms: p50 / p99 / max):`,
  ];
  const gap = (from: Point, to: Point) => {
    const sorted = complete.map((r) => r[to]! - r[from]!).sort((a, b) => a - b);
    const show = (v: number) => String(round(v, 2));
    return `${show(percentile(sorted, 50))} / ${show(percentile(sorted, 99))} / ${show(sorted.at(-1) ?? NaN)}`;
  };
  for (let i = 1; i < points.length; i++) {
    const from = points[i - 1]!;
    const to = points[i]!;
    lines.push(`  ${NAMES[from]} → ${NAMES[to]}: ${gap(from, to)}`);
  }
  lines.push(`  ${NAMES.sent} → ${NAMES[end]} (end to end): ${gap('sent', end)}`);
  if (end === 'homeserver')
    lines.push(`  ${NAMES.emit} → ${NAMES.homeserver} (core): ${gap('emit', 'homeserver')}`);
  return lines;
}
