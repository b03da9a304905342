/** The notice a relayed call ends with in its DM room: how long it lasted and its audio's quality. */
import type { CallQuality } from '../media/relay.js';
import type { QualityFigures } from '../media/rtp-quality.js';

const duration = (ms: number): string => {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
};

const way = (q: QualityFigures): string =>
  `${q.received} packets, ${(q.lossRatio * 100).toFixed(1)} % lost, jitter ${q.jitterMs.toFixed(1)} ms`;

/** E.g. `Call ended after 1 min 02 s. Audio to the phone: 3100 packets, 0.0 % lost, …`. */
export function endNotice(quality: CallQuality, answeredMs: number | undefined): string {
  const length = answeredMs !== undefined ? ` after ${duration(answeredMs)}` : '';
  return (
    `Call ended${length}. Audio to the phone: ${way(quality.toSip)}; ` +
    `from the phone: ${way(quality.toMatrix)}.`
  );
}
