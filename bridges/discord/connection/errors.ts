/** Discord's refusals as the one error a bridge throws: the Matrix sender reads Discord's reason. */
import { DiscordAPIError, HTTPError, RateLimitError } from 'discord.js';
import { BridgeError } from '../../../src/connector.js';

/** Discord error codes this bridge acts on (https://discord.com/developers/docs/topics/opcodes-and-status-codes). */
export const UNKNOWN_MESSAGE = 10008;
export const UNKNOWN_WEBHOOK = 10015;
export const THREAD_EXISTS = 160004;

export const discordCode = (err: unknown): number | string | undefined =>
  err instanceof DiscordAPIError ? err.code : undefined;

/** A failed Discord request → BridgeError: 4xx is Discord's refusal (its message), 5xx and network failures retriable. */
export function toBridgeError(err: unknown, what: string): BridgeError {
  if (err instanceof BridgeError) return err;
  if (err instanceof DiscordAPIError) {
    const retriable = err.status >= 500 || err.status === 429;
    const code =
      err.status === 404 ? 'unknown-target' : err.status === 413 ? 'too-large' : 'rejected';
    return new BridgeError(
      code,
      `Discord refused ${what}: ${err.message} (${err.status})`,
      retriable,
    );
  }
  if (err instanceof RateLimitError)
    return new BridgeError(
      'network',
      `Discord rate-limited ${what}; try again in ${Math.ceil(err.retryAfter / 1000)} s`,
      true,
    );
  if (err instanceof HTTPError)
    return new BridgeError('network', `Discord failed ${what}: ${err.status} ${err.message}`, true);
  return new BridgeError(
    'network',
    `could not reach Discord for ${what}: ${(err as Error).message}`,
    true,
  );
}
