/**
 * The XMPP benchmark's `--stages` table: for the paced XMPP → Matrix messages, how long each
 * waited between two stages (lib/stage-clock.ts), p50 / p99 / max, from the benchmark's send to
 * the homeserver's answer. All times are epoch milliseconds (both processes' clocks are the
 * machine's).
 */
import { STAGES, type Stage, type StageTimes } from './stage-clock.js';
import { percentile, round } from './stats.js';

type Point = 'sent' | Stage | 'homeserver';

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
};

/**
 * `sent` and `arrived`: by body, epoch ms of the client's send and of the homeserver's receipt.
 * Returns the table's lines.
 */
export function stageTable(
  times: StageTimes,
  sent: Map<string, number>,
  arrived: Map<string, number>,
): string[] {
  const points: Point[] = ['sent', ...STAGES.slice(0, 6), 'homeserver', 'answered'];
  const rows = [...sent.keys()].map((body) => {
    const t = times[body] ?? {};
    return { sent: sent.get(body), homeserver: arrived.get(body), ...t } as Partial<
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
  lines.push(`  ${NAMES.sent} → ${NAMES.homeserver} (end to end): ${gap('sent', 'homeserver')}`);
  lines.push(`  ${NAMES.emit} → ${NAMES.homeserver} (core): ${gap('emit', 'homeserver')}`);
  return lines;
}
