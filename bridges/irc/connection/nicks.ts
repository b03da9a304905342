/** IRC nicks and idents for Matrix users, from the network's nick template. */

const NICK_MAX = 30;
const IDENT_MAX = 10;

/** Characters RFC 2812 allows in a nick: letters, digits and `[]\`_^{|}-`; others become `_`. */
export function sanitizeNick(s: string): string {
  let out = s.replace(/[^A-Za-z0-9[\]\\`_^{|}-]/g, '_');
  if (/^[0-9-]/.test(out)) out = `_${out}`;
  return out;
}

/**
 * `{localpart}` and `{displayname}` filled into the template, kept to 30 characters by
 * shortening the filled-in parts, never the template's own text (`alice[m]` keeps `[m]`).
 */
export function puppetIdentity(
  template: string,
  userId: string,
  displayName: string,
): { nick: string; username: string } {
  const localpart = userId.slice(1, userId.includes(':') ? userId.indexOf(':') : undefined);
  const fill = (max: number) =>
    template
      .replaceAll('{localpart}', localpart.slice(0, max))
      .replaceAll('{displayname}', (displayName || localpart).slice(0, max));
  let max = 64;
  let nick = sanitizeNick(fill(max));
  while (nick.length > NICK_MAX && max > 1) nick = sanitizeNick(fill(--max));
  nick = nick.slice(0, NICK_MAX) || 'matrix';
  const username =
    localpart
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(0, IDENT_MAX) || 'matrix';
  return { nick, username };
}

/** The next nick to try after a collision: `_` appended, or the last character replaced at the length limit. */
export function nextNick(nick: string, maxLength = 30): string {
  return nick.length < maxLength ? `${nick}_` : `${nick.slice(0, maxLength - 1)}_`;
}
