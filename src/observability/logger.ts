/**
 * The process logger: JSON lines for log collectors, readable lines in a
 * terminal, and secrets (appservice tokens, passwords, Authorization headers)
 * replaced before anything is written.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export const REDACTED = '[redacted]';

/** Keys whose values are secrets wherever they appear in a logged object. */
const SECRET_KEYS = [
  'as_token',
  'hs_token',
  'asToken',
  'hsToken',
  'access_token',
  'accessToken',
  'password',
  'secret',
  'authorization',
  'cookie',
];

/**
 * pino's redaction takes exact paths, and `*` matches one level only, so each
 * key is listed at the top level and up to two levels down (config sections,
 * request objects), plus the request headers pino-http and express log.
 */
export const REDACT_PATHS: string[] = [
  ...SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
  'req.headers.authorization',
  'req.headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
];

const SECRET_QUERY = /([?&](?:access_token|as_token|hs_token)=)[^&#\s]*/gi;

/** A URL or path with its `access_token=` (and appservice token) query values masked. */
export const redactUrl = (url: string): string => url.replace(SECRET_QUERY, `$1${REDACTED}`);

export interface LoggerOptions {
  /** pino level name: `fatal`, `error`, `warn`, `info` (default), `debug`, `trace`, `silent`. */
  level?: string;
  /** Human-readable lines; by default only when stdout is a terminal. */
  pretty?: boolean;
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const options = {
    level: opts.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    // A logged `url` field is a common carrier of legacy `?access_token=`.
    serializers: { url: (url: unknown) => (typeof url === 'string' ? redactUrl(url) : url) },
  };
  const usePretty = opts.pretty ?? Boolean(process.stdout.isTTY);
  if (!usePretty) return opts.destination ? pino(options, opts.destination) : pino(options);
  // pino-pretty as an in-process stream, not a worker transport: terminal use
  // only, and it works the same under tsx, the built output and tests.
  const stream = pretty({
    colorize: opts.destination === undefined && Boolean(process.stdout.isTTY),
    sync: true,
    ...(opts.destination && { destination: opts.destination }),
  });
  return pino(options, stream);
}
