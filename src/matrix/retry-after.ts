/**
 * How long a 429 asks us to wait. Synapse puts `retry_after_ms` in the body and sends no header;
 * proxies and other homeservers send `Retry-After` (seconds or an HTTP date). When both are given
 * the longer wait is honoured.
 */
export function retryAfterMs(
  bodyValue: unknown,
  header: string | null,
  now = Date.now(),
): number | undefined {
  const fromBody =
    typeof bodyValue === 'number' && Number.isFinite(bodyValue) && bodyValue >= 0
      ? bodyValue
      : undefined;
  const fromHeader = header === null ? undefined : parseRetryAfterHeader(header, now);
  if (fromBody === undefined) return fromHeader;
  if (fromHeader === undefined) return fromBody;
  return Math.max(fromBody, fromHeader);
}

export function parseRetryAfterHeader(value: string, now = Date.now()): number | undefined {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP date names its month ("Wed, 21 Oct 2015 07:28:00 GMT"); Date.parse alone takes "-5" as a year.
  if (!/[A-Za-z]{3}/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
