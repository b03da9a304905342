/**
 * Links in Matrix HTML: user pills (matrix.to and `matrix:` URIs), and the
 * allow-list of link schemes that may reach a Matrix client.
 */

/**
 * `@localpart:server`, localpart in the historical grammar (printable ASCII
 * but ':'), server a hostname, IPv4 or [IPv6] literal with an optional port.
 */
const USER_ID = /^@[\x21-\x39\x3b-\x7e]+:(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

export const isMatrixUserId = (s: string): boolean => s.length <= 255 && USER_ID.test(s);

/** The pill link for a user: `https://matrix.to/#/@alice:example.org`. */
export function userPillHref(userId: string): string {
  // Keep '@' and ':' readable as clients write them; encode the rest (e.g. '?', '#', '/').
  const encoded = encodeURIComponent(userId).replace(/%40/g, '@').replace(/%3A/gi, ':');
  return `https://matrix.to/#/${encoded}`;
}

const safeDecode = (s: string): string | undefined => {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
};

/** The user id a pill link points at, or undefined when it is not a user link. */
export function userIdFromHref(href: string): string | undefined {
  const trimmed = href.trim();
  let id: string | undefined;
  const matrixTo = /^https?:\/\/matrix\.to\/#\/([^?]*)/i.exec(trimmed);
  if (matrixTo) id = safeDecode(matrixTo[1]);
  // MSC2312 URIs: matrix:u/alice:example.org?action=chat
  const matrixUri = /^matrix:u\/([^?#/]*)/i.exec(trimmed);
  if (matrixUri) {
    const rest = safeDecode(matrixUri[1]);
    id = rest === undefined ? undefined : `@${rest}`;
  }
  return id !== undefined && isMatrixUserId(id) ? id : undefined;
}

/** Schemes the Matrix spec lets `<a href>` use, plus `matrix:` URIs. */
const SAFE_SCHEMES = new Set(['https', 'http', 'ftp', 'mailto', 'magnet', 'matrix']);

/**
 * Whether a link may be sent to Matrix: an absolute URL with an allowed
 * scheme, no whitespace or control characters (browsers ignore those inside
 * a scheme, which is how `java\tscript:` slips past naive filters).
 */
export function isSafeHref(href: string): boolean {
  if (href.length === 0 || href.length > 4096 || /[\u0000-\u0020\u007f-\u009f]/.test(href)) {
    return false;
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(href);
  return scheme !== null && SAFE_SCHEMES.has(scheme[1].toLowerCase());
}
