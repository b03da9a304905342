/**
 * Mail addresses and header text from Matrix, made safe before they reach a header: an address is
 * validated (a strict subset of RFC 5322's addr-spec: no spaces, quotes, angle brackets, commas or
 * control characters), a display name or subject has its control characters (CR, LF, …) folded
 * into spaces and is length-bounded. nodemailer then encodes non-ASCII text (RFC 2047).
 */

/** `local@domain`: printable ASCII and UTF-8 letters, no whitespace or header syntax. */
const ADDRESS = /^[^\s@<>(),;:"\\[\]\x00-\x1f\x7f]{1,64}@[^\s@<>(),;:"\\[\]\x00-\x1f\x7f]{1,253}$/u;
const DOMAIN =
  /^(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)*[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;

export function isAddress(s: string): boolean {
  if (s.length > 320 || !ADDRESS.test(s)) return false;
  const domain = s.slice(s.lastIndexOf('@') + 1);
  return DOMAIN.test(domain);
}

/** The form addresses are compared and stored in (and ghosts named by): lowercased. */
export const normalizeAddress = (s: string): string => s.trim().toLowerCase();

/** The domain part of an address (for Message-IDs of mail the bridge makes). */
export const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1);

/** Header text from Matrix on one line: every control character (CR and LF too) becomes a space. */
export function headerText(s: string, maxChars: number): string {
  const one = s
    .replace(/[\x00-\x1f\x7f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return [...one].slice(0, maxChars).join('');
}

/**
 * A list of addresses typed in Matrix (`a@x, b@y`): the valid ones, normalized, and the words that
 * are not addresses (refused by the caller, never passed on).
 */
export function parseAddressList(s: string): { addresses: string[]; invalid: string[] } {
  const addresses: string[] = [];
  const invalid: string[] = [];
  for (const word of s.split(/[,;\s]+/)) {
    if (!word) continue;
    const bare = word.replace(/^<(.*)>$/, '$1');
    if (isAddress(bare)) {
      const a = normalizeAddress(bare);
      if (!addresses.includes(a)) addresses.push(a);
    } else invalid.push(word);
  }
  return { addresses, invalid };
}
