/** MUC nicks of Matrix users: from the display name, and the next one to try after a conflict. */
import { xmlText } from '../connection/xml-text.js';

const MAX_NICK = 48;

/** A nick from a display name (else the localpart): one line, no controls, at most 48 characters. */
export function nickFor(displayName: string, userId: string): string {
  const clean = (s: string) =>
    [...xmlText(s).replace(/\s+/g, ' ').trim()].slice(0, MAX_NICK).join('').trim();
  return clean(displayName) || clean(userId.slice(1, userId.indexOf(':'))) || 'matrix user';
}

/** After a conflict on `wanted`, the `attempt`-th nick to try (1, 2, …): `nick [m]`, `nick [m2]`, … */
export const conflictNick = (wanted: string, attempt: number): string =>
  `${wanted} [m${attempt > 1 ? attempt : ''}]`;
