/** The username (ident) of a Matrix user's IRC connections while the ident server runs. */
import { createHash } from 'node:crypto';

/** Ident usernames are at most 10 characters on most servers (InspIRCd's and ngIRCd's default). */
export const IDENT_USERNAME_MAX = 10;

/**
 * Stable and per user: up to 6 characters of the localpart (a-z 0-9), then 4 of a hash of the
 * whole Matrix user id (base 36), so `@alice:a.org` and `@alice:b.org` differ
 * (`alice3f2a`, `alicek09x`) and a ban of `*!alice3f2a@*` reaches one of them.
 */
export function identUsername(userId: string): string {
  const localpart = userId.slice(1, userId.includes(':') ? userId.indexOf(':') : undefined);
  const head =
    localpart
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(0, IDENT_USERNAME_MAX - 4) || 'm';
  const digest = createHash('sha256').update(userId).digest();
  const tail = (digest.readUInt32BE(0) % 36 ** 4).toString(36).padStart(4, '0');
  return head + tail;
}
