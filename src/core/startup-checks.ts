/** What `start` checks before it bridges anything, each with its own message and exit code. */
import type { Logger } from 'pino';
import type { MatrixClient } from '../matrix/client.js';
import { MatrixError } from '../matrix/errors.js';
import { speaksPlainHttp } from './plain-http-probe.js';

export class StartupError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}

export const EXIT = {
  config: 2,
  homeserver: 10,
  token: 11,
  bot: 12,
  ping: 13,
  database: 14,
  listen: 15,
} as const;

/** Per attempt of the first request: a homeserver that does not answer /versions in this has a problem. */
export const STARTUP_TIMEOUT_MS = 3_000;

/** `client` should have a short timeout (STARTUP_TIMEOUT_MS), so a wrong URL fails in seconds. */
export async function checkHomeserver(
  client: MatrixClient,
  homeserverUrl: string,
  plainProbe = speaksPlainHttp,
): Promise<void> {
  if (await plainProbe(homeserverUrl, STARTUP_TIMEOUT_MS)) {
    throw new StartupError(
      `the homeserver at ${homeserverUrl} speaks plain HTTP on that port, not TLS: use http:// in homeserver.url (or the homeserver's TLS port)`,
      EXIT.homeserver,
    );
  }
  try {
    await client.versions();
  } catch (err) {
    throw new StartupError(
      `the homeserver at ${homeserverUrl} does not answer /_matrix/client/versions (${whyNoAnswer(homeserverUrl, err)}): check homeserver.url`,
      EXIT.homeserver,
    );
  }
}

const CERT_CODES =
  /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET_ISSUER_CERT|VERIFY_LEAF_SIGNATURE)|CERT_HAS_EXPIRED|ERR_TLS_CERT_ALTNAME_INVALID)/;

/** The error, and the likely cause where the error alone would leave an admin guessing. */
function whyNoAnswer(url: string, err: unknown): string {
  const message = (err as Error).message;
  const cause = (err as { cause?: { name?: string; code?: string } }).cause;
  const code = cause?.code ?? '';
  const secure = url.startsWith('https:');
  const seconds = STARTUP_TIMEOUT_MS / 1000;
  if (cause?.name === 'TimeoutError')
    return secure
      ? `no answer within ${seconds} s: the URL says https://, but the port may speak plain HTTP (then use http://)`
      : `no answer within ${seconds} s: is it the homeserver's port, and is the homeserver overloaded?`;
  if (code.startsWith('HPE_') && !secure)
    return `the answer is not HTTP: the port may speak TLS (then use https://)`;
  if (code === 'EPROTO' || code === 'ERR_SSL_WRONG_VERSION_NUMBER')
    return `TLS failed (${message}): the port may speak plain HTTP (then use http://)`;
  if (CERT_CODES.test(code))
    return `its TLS certificate is not trusted (${code}): use a certificate from a public CA, or give Node your CA with NODE_EXTRA_CA_CERTS=/path/ca.pem`;
  if (code === 'ECONNREFUSED') return `connection refused: nothing listens there`;
  return message;
}

export async function checkToken(client: MatrixClient, botUserId: string): Promise<void> {
  let userId: string;
  try {
    userId = (await client.whoami()).user_id;
  } catch (err) {
    if (err instanceof MatrixError && (err.errcode === 'M_UNKNOWN_TOKEN' || err.status === 401)) {
      throw new StartupError(
        'the homeserver does not accept appservice.as_token: write the registration (`switchboard generate-registration`), add it to the homeserver and restart the homeserver',
        EXIT.token,
      );
    }
    throw new StartupError(`checking the as_token failed: ${(err as Error).message}`, EXIT.token);
  }
  if (userId !== botUserId) {
    throw new StartupError(
      `the as_token belongs to ${userId}, not ${botUserId}: check appservice.bot.localpart and homeserver.domain`,
      EXIT.token,
    );
  }
}

export async function ensureBot(client: MatrixClient, localpart: string): Promise<void> {
  try {
    await client.register(localpart);
  } catch (err) {
    throw new StartupError(
      `could not register the bot user @${localpart}: ${(err as Error).message}`,
      EXIT.bot,
    );
  }
}

/** The homeserver → bridge round trip; homeservers without the ping endpoint are let through. */
export async function checkPing(
  client: MatrixClient,
  appserviceId: string,
  log: Logger,
  attempts = 3,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const started = performance.now();
      await client.pingAppservice(appserviceId, `sb.ping.${Date.now()}`);
      log.info(
        { ms: Math.round(performance.now() - started) },
        'the homeserver reaches the bridge',
      );
      return;
    } catch (err) {
      if (err instanceof MatrixError && (err.errcode === 'M_UNRECOGNIZED' || err.status === 404)) {
        log.warn(
          'appservice.url could not be verified: this homeserver has no appservice ping (Dendrite, Conduit). Check it by hand: send a message in a bridged room and look for "transaction" in this log, or curl appservice.url from the homeserver\'s machine',
        );
        return;
      }
      // Synapse can answer 502 while its own retry timer to the bridge fires at the same moment.
      if (attempt < attempts && err instanceof MatrixError && err.status >= 500) {
        log.warn({ err, attempt }, 'the appservice ping failed; trying again');
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      throw new StartupError(
        `the homeserver cannot reach the bridge at appservice.url (${(err as Error).message}): check appservice.url, bind and port, and that the registration's url matches`,
        EXIT.ping,
      );
    }
  }
}
