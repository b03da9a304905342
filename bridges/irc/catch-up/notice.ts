/** Catch-up's words and numbers: the away notice, times, InspIRCd's `+H` history window. */

/** `2026-12-06T08:01:05.000Z` (what CHATHISTORY's `timestamp=` takes). */
export const isoTime = (ms: number) => new Date(ms).toISOString();

/** `2026-12-06 08:01:05 UTC`: how the room is told a time. */
export const roomTime = (ms: number) =>
  `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/**
 * What the room is told when the bridge was away and the server's history does not cover the
 * gap: `coveredFrom` is the oldest line the history did give (what came before it is missing),
 * `partial` that history stopped short (pages ran out), undefined that it gave nothing.
 */
export function awayNotice(from: number, to: number, coveredFrom?: number | 'partial'): string {
  const away = `The bridge was away from ${roomTime(from)} to ${roomTime(to)}`;
  if (coveredFrom === 'partial')
    return `${away}; what was said then was bridged only in part (the server's history stopped short).`;
  if (coveredFrom !== undefined)
    return `${away}; what was said before ${roomTime(coveredFrom)} is not available.`;
  return `${away}; what was said then is not available.`;
}

const UNITS: Record<string, number> = {
  s: 1,
  m: 60,
  h: 3_600,
  d: 86_400,
  w: 604_800,
  y: 31_536_000,
};

/**
 * InspIRCd's `+H <lines>:<period>` (`50:1d`, `10:3600`, `20:1h30m`): the period in ms, or
 * undefined when the parameter is not one.
 */
export function historyWindowMs(param: string | null | undefined): number | undefined {
  const m = /^\d+:(.+)$/.exec(param ?? '');
  if (!m) return undefined;
  const period = m[1]!;
  if (/^\d+$/.test(period)) return Number(period) * 1000;
  let seconds = 0;
  let rest = period;
  while (rest) {
    const part = /^(\d+)([smhdwy])/i.exec(rest);
    if (!part) return undefined;
    seconds += Number(part[1]) * UNITS[part[2]!.toLowerCase()]!;
    rest = rest.slice(part[0].length);
  }
  return seconds * 1000;
}
