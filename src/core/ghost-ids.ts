/**
 * Remote ids ↔ Matrix localparts. Matrix localparts allow only `a-z 0-9 . _ = - /`,
 * so every other character (capitals included) is escaped reversibly as `=hh`
 * per UTF-8 byte, like matrix-appservice-irc does: `Alice[m]` → `=41lice=5bm=5d`.
 * Networks whose ids ignore case should lowercase them first.
 */
const PLAIN = /^[a-z0-9._\-/]$/;

export function escapeLocalpart(id: string): string {
  let out = '';
  for (const ch of id) {
    if (PLAIN.test(ch)) out += ch;
    else
      for (const byte of Buffer.from(ch, 'utf8')) out += '=' + byte.toString(16).padStart(2, '0');
  }
  return out;
}

/** The inverse of `escapeLocalpart`; undefined for text it could not have produced. */
export function unescapeLocalpart(local: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < local.length; i++) {
    const ch = local[i]!;
    if (ch === '=') {
      const hex = local.slice(i + 1, i + 3);
      if (!/^[0-9a-f]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (PLAIN.test(ch)) bytes.push(ch.charCodeAt(0));
    else return undefined;
  }
  const text = Buffer.from(bytes).toString('utf8');
  return escapeLocalpart(text) === local ? text : undefined;
}

/** Splits `@local:server` (or `#local:server`); undefined when it is not one. */
export function splitMatrixId(
  id: string,
  sigil: '@' | '#',
): { localpart: string; server: string } | undefined {
  if (!id.startsWith(sigil)) return undefined;
  const colon = id.indexOf(':');
  if (colon < 2) return undefined;
  return { localpart: id.slice(1, colon), server: id.slice(colon + 1) };
}
