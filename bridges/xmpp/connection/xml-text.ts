/**
 * Text that XML 1.0 can carry. The library escapes `<`, `&` and quotes, but characters XML
 * forbids outright (NUL and the other C0 controls but tab, CR and LF; lone surrogates; U+FFFE
 * and U+FFFF) would make the server close the whole component stream as not-well-formed: they
 * are dropped from everything the bridge sends.
 */
const NOT_XML =
  /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export const xmlText = (s: string): string => s.replace(NOT_XML, '');
