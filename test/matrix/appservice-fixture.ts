// The appservice router on a port, with recording handlers, shared by the appservice-*.test.ts files.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type {
  ThirdPartyLocation,
  ThirdPartyProtocol,
  ThirdPartyUser,
} from '../../src/connector.js';
import {
  appserviceRouter,
  type AppserviceHandlers,
  type Transaction,
} from '../../src/matrix/appservice-router.js';
import { transactionFastPath } from '../../src/matrix/transaction-fast-path.js';
import { TransactionIntake } from '../../src/matrix/transaction-intake.js';
import { captureLog, listen, type CapturedLog } from './helpers.js';

export const HS_TOKEN = 'hs-secret-token';
export const auth = { authorization: `Bearer ${HS_TOKEN}` };

export const protocol: ThirdPartyProtocol = {
  user_fields: ['nick'],
  location_fields: ['channel'],
  icon: 'mxc://example.org/icon',
  field_types: {
    nick: { regexp: '.+', placeholder: 'alice' },
    channel: { regexp: '#.+', placeholder: '#rust' },
  },
  instances: [{ desc: 'Libera', network_id: 'libera', fields: {} }],
};
export const location: ThirdPartyLocation = {
  alias: '#irc_#rust:example.org',
  protocol: 'irc',
  fields: { channel: '#rust' },
};
export const user: ThirdPartyUser = {
  userid: '@irc_alice:example.org',
  protocol: 'irc',
  fields: { nick: 'alice' },
};

export const event = (n: number) => ({
  event_id: `$ev${n}`,
  room_id: '!room:example.org',
  sender: '@alice:example.org',
  type: 'm.room.message',
  origin_server_ts: 1_700_000_000_000 + n,
  content: { msgtype: 'm.text', body: `hello ${n}` },
});

let server: { url: string; close: () => Promise<void> };
export const captured: CapturedLog = captureLog();
export const calls: {
  txns: [string, Transaction][];
  pings: (string | undefined)[];
  fields: Record<string, string>[];
} = { txns: [], pings: [], fields: [] };
export const flags = { failNextTransaction: false, throwInUserQuery: false };

export const handlers: AppserviceHandlers = {
  async onTransaction(txnId, txn) {
    if (flags.failNextTransaction) {
      flags.failNextTransaction = false;
      throw new Error('database is locked at /secret/path.db');
    }
    calls.txns.push([txnId, txn]);
  },
  async onUserQuery(userId) {
    if (flags.throwInUserQuery) throw new Error('internal detail');
    return userId === '@irc_alice:example.org';
  },
  onAliasQuery: async (alias) => alias === '#irc_#rust:example.org',
  thirdPartyProtocol: async (p) => (p === 'irc' ? protocol : undefined),
  thirdPartyLocations: async (p, fields) => (
    calls.fields.push(fields),
    p === 'irc' && fields.channel === '#rust' ? [location] : []
  ),
  thirdPartyUsers: async (p, fields) => (
    calls.fields.push(fields),
    p === 'irc' && fields.nick === 'alice' ? [user] : []
  ),
  thirdPartyLocationByAlias: async (alias) => (alias === location.alias ? [location] : []),
  thirdPartyUserByUserId: async (userId) => (userId === user.userid ? [user] : []),
  onPing: (id) => void calls.pings.push(id),
};

/**
 * Registers the hooks that start the router before the file's tests and reset the records. With
 * `fastPath`, plain transactions take the bridge's fast path (transaction-fast-path.ts) first.
 */
export function useAppservice(opts: { fastPath: boolean } = { fastPath: true }): void {
  beforeAll(async () => {
    const maxBodyBytes = 64 * 1024;
    const intake = new TransactionIntake(
      (...args) => handlers.onTransaction(...args),
      captured.log,
    );
    const router = appserviceRouter({
      hsToken: HS_TOKEN,
      handlers,
      maxBodyBytes,
      log: captured.log,
      intake,
    });
    const fast = transactionFastPath({ hsToken: HS_TOKEN, intake, maxBodyBytes });
    server = await listen(router, opts.fastPath ? fast : undefined);
  });
  afterAll(() => server.close());
  beforeEach(() => {
    calls.txns.length = 0;
    calls.pings.length = 0;
    calls.fields.length = 0;
    captured.lines.length = 0;
  });
}

export async function call(
  method: string,
  path: string,
  opts: { body?: string | object; headers?: Record<string, string> } = {},
) {
  const body =
    typeof opts.body === 'string' || opts.body === undefined
      ? opts.body
      : JSON.stringify(opts.body);
  const res = await fetch(server.url + path, {
    method,
    headers: { 'content-type': 'application/json', ...opts.headers },
    body,
  });
  const text = await res.text();
  const type = res.headers.get('content-type');
  const json =
    text && type?.startsWith('application/json')
      ? (JSON.parse(text) as Record<string, unknown>)
      : undefined;
  return { status: res.status, json, type };
}
export const putTxn = (
  txnId: string,
  body: string | object,
  headers: Record<string, string> = auth,
  prefix = '/_matrix/app/v1',
) => call('PUT', `${prefix}/transactions/${txnId}`, { body, headers });
