/** What `start` checks before it bridges anything, each with its own message and exit code. */
import type { Logger } from 'pino';
import type { MatrixClient } from '../matrix/client.js';
import { MatrixError } from '../matrix/errors.js';

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

export async function checkHomeserver(client: MatrixClient, homeserverUrl: string): Promise<void> {
  try {
    await client.versions();
  } catch (err) {
    throw new StartupError(
      `the homeserver at ${homeserverUrl} does not answer /_matrix/client/versions (${(err as Error).message}): check homeserver.url`,
      EXIT.homeserver,
    );
  }
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
        log.info('the homeserver has no appservice ping endpoint; skipping the round-trip check');
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
