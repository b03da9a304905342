// Helpers for tests against the real Synapse (and PostgreSQL) that `npm test` (test/run.sh) starts.
// A missing server is a loud failure, never a silent skip: call requireSynapse() / requirePostgres()
// in a beforeAll (or at the top of the file).
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createClient, type MatrixClient } from 'matrix-js-sdk';
import { logger as sdkLogger } from 'matrix-js-sdk/lib/logger.js';
import { parse as parseYaml } from 'yaml';

// matrix-js-sdk logs a lot (even a warning per client about Synapse's push rules): errors only.
sdkLogger.setLevel('error');

export interface SynapseEnv {
  /** Client-server API base URL, e.g. http://127.0.0.1:18008 */
  hsUrl: string;
  /** The homeserver's server_name (`localhost`) */
  serverName: string;
  /** Registration shared secret (for /_synapse/admin/v1/register) */
  sharedSecret: string;
  /** Path of the appservice registration Synapse was started with */
  registrationPath: string;
  /** State folder of the test servers (Synapse's log: <peersDir>/synapse/homeserver.log) */
  peersDir: string;
}

/** The fields of test/fixtures/registration.yaml the tests use. */
export interface TestRegistration {
  id: string;
  url: string;
  as_token: string;
  hs_token: string;
  sender_localpart: string;
  namespaces: {
    users?: { exclusive: boolean; regex: string }[];
    aliases?: { exclusive: boolean; regex: string }[];
    rooms?: { exclusive: boolean; regex: string }[];
  };
  rate_limited?: boolean;
  receive_ephemeral?: boolean;
  protocols?: string[];
  [key: string]: unknown;
}

export interface TestUser {
  userId: string;
  accessToken: string;
  deviceId: string;
  password: string;
}

const NOT_RUNNING = 'Synapse is not running: run `npm test`, which starts it';

function env(name: string, what: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${what} (${name} is not set)`);
  return value;
}

/** The running test Synapse; throws a clear error when the tests were not started by `npm test`. */
export function requireSynapse(): SynapseEnv {
  return {
    hsUrl: env('SWITCHBOARD_TEST_HS_URL', NOT_RUNNING).replace(/\/+$/, ''),
    serverName: process.env.SWITCHBOARD_TEST_HS_SERVER_NAME || 'localhost',
    sharedSecret: env('SWITCHBOARD_TEST_HS_SECRET', NOT_RUNNING),
    registrationPath: env('SWITCHBOARD_TEST_REGISTRATION', NOT_RUNNING),
    peersDir: env('SWITCHBOARD_TEST_PEERS_DIR', NOT_RUNNING),
  };
}

/** postgres://postgres@127.0.0.1:<port>/test; throws a clear error outside `npm test`. */
export function requirePostgres(): string {
  return env(
    'SWITCHBOARD_TEST_PG_URL',
    'PostgreSQL is not running: run `npm test`, which starts it',
  );
}

/** The appservice registration Synapse was started with (test/fixtures/registration.yaml). */
export function testRegistration(): TestRegistration {
  const { registrationPath } = requireSynapse();
  return parseYaml(readFileSync(registrationPath, 'utf8')) as TestRegistration;
}

/** A localpart nobody used yet in this Synapse: `${prefix}_<random hex>`. */
export function uniqueLocalpart(prefix = 'user'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

async function requestJson<T>(method: string, url: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} -> ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/**
 * Registers a Matrix user through the shared-secret admin API (GET a nonce, then POST with
 * an HMAC-SHA1 of nonce\0user\0password\0notadmin). Not admin unless asked.
 */
export async function registerUser(
  localpart: string,
  password = 'test-password',
  opts: { admin?: boolean; displayname?: string } = {},
): Promise<TestUser> {
  const { hsUrl, sharedSecret } = requireSynapse();
  const url = `${hsUrl}/_synapse/admin/v1/register`;
  const { nonce } = await requestJson<{ nonce: string }>('GET', url);
  const admin = opts.admin ?? false;
  const mac = createHmac('sha1', sharedSecret)
    .update([nonce, localpart, password, admin ? 'admin' : 'notadmin'].join('\0'))
    .digest('hex');
  const res = await requestJson<{ user_id: string; access_token: string; device_id: string }>(
    'POST',
    url,
    { nonce, username: localpart, password, admin, mac, displayname: opts.displayname },
  );
  return { userId: res.user_id, accessToken: res.access_token, deviceId: res.device_id, password };
}

/**
 * A matrix-js-sdk client for a test user. It does not sync until you call `startClient()`;
 * when you do, call `stopClient()` in an afterAll.
 */
export function matrixClient(
  user: Pick<TestUser, 'userId' | 'accessToken'> & { deviceId?: string },
): MatrixClient {
  const { hsUrl } = requireSynapse();
  return createClient({
    baseUrl: hsUrl,
    accessToken: user.accessToken,
    userId: user.userId,
    deviceId: user.deviceId,
  });
}

/**
 * Polls `predicate` (sync or async) until it returns a truthy value, and returns that value.
 * Throws after `timeoutMs`, naming `what` (and the predicate's last error, if it threw).
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
  intervalMs = 25,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`waitFor: ${what} not met after ${timeoutMs} ms${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
