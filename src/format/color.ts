/**
 * Colours in Matrix HTML. The spec wants `#rrggbb` in `data-mx-color`; older
 * clients also send `color="red"`. Anything else could smuggle CSS or markup.
 */

const HEX6 = /^#[0-9a-f]{6}$/i;
const HEX3 = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i;
const NAMED = /^[a-z]{3,20}$/i;

/** `#rrggbb` (lower case) or a lower-case colour name; undefined for anything else. */
export function normalizeColor(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim();
  if (HEX6.test(v)) return v.toLowerCase();
  const short = HEX3.exec(v);
  if (short) {
    const [, r, g, b] = short;
    return `#${r}${r}${g}${g}${b}${b}`.toLowerCase();
  }
  if (NAMED.test(v)) return v.toLowerCase();
  return undefined;
}

export const isHexColor = (value: string): boolean => HEX6.test(value);
