/** Homeserver → appservice calls of the fake homeserver: transactions and the ping, with the hs_token. */
import { HsError, type Reply } from './types.js';

export interface AppserviceLink {
  appserviceUrl: string | undefined;
  hsToken: string;
}

export interface PushOptions {
  ephemeral?: unknown[];
  toDevice?: unknown[];
  /** Which body keys carry EDUs: Synapse 1.94 sends the MSC2409 ones, newer spec the stable ones. */
  ephemeralKeys?: 'unstable' | 'stable' | 'both' | 'none';
  /** Override the counter (e.g. to replay one). */
  txnId?: string;
  /** Default: the hs_token. */
  token?: string;
}

function target(link: AppserviceLink): string {
  if (!link.appserviceUrl) throw new Error('appserviceUrl is not set');
  return link.appserviceUrl;
}

export async function pushTransaction(
  link: AppserviceLink,
  txnId: string,
  events: unknown[],
  opts: PushOptions,
): Promise<{ status: number; body: unknown }> {
  const body: Record<string, unknown> = { events };
  const keys = opts.ephemeralKeys ?? 'unstable';
  if (keys === 'unstable' || keys === 'both') {
    body['de.sorunome.msc2409.ephemeral'] = opts.ephemeral ?? [];
    body['de.sorunome.msc2409.to_device'] = opts.toDevice ?? [];
  }
  if (keys === 'stable' || keys === 'both') {
    body.ephemeral = opts.ephemeral ?? [];
    body.to_device = opts.toDevice ?? [];
  }
  const res = await fetch(
    `${target(link)}/_matrix/app/v1/transactions/${encodeURIComponent(txnId)}`,
    {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${opts.token ?? link.hsToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    },
  );
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** `POST /_matrix/app/v1/ping`, answered to the client as Synapse does (502/504 on failure). */
export async function pingAppservice(link: AppserviceLink, transactionId: unknown): Promise<Reply> {
  if (!link.appserviceUrl) throw new HsError(502, 'M_CONNECTION_FAILED', 'Connection refused');
  const started = performance.now();
  let res: Response;
  try {
    res = await fetch(`${link.appserviceUrl}/_matrix/app/v1/ping`, {
      method: 'POST',
      headers: { authorization: `Bearer ${link.hsToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(transactionId === undefined ? {} : { transaction_id: transactionId }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    if ((err as Error).name === 'TimeoutError')
      throw new HsError(504, 'M_CONNECTION_TIMEOUT', 'Timeout');
    throw new HsError(502, 'M_CONNECTION_FAILED', 'Connection failed');
  }
  const text = await res.text();
  if (!res.ok)
    throw new HsError(502, 'M_BAD_STATUS', 'Ping returned error status', {
      status: res.status,
      body: text,
    });
  return { body: { duration_ms: Math.round(performance.now() - started) } };
}
