import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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
import { captureLog, listen, type CapturedLog } from './helpers.js';

const HS_TOKEN = 'hs-secret-token';
const auth = { authorization: `Bearer ${HS_TOKEN}` };

const protocol: ThirdPartyProtocol = {
  user_fields: ['nick'],
  location_fields: ['channel'],
  icon: 'mxc://example.org/icon',
  field_types: {
    nick: { regexp: '.+', placeholder: 'alice' },
    channel: { regexp: '#.+', placeholder: '#rust' },
  },
  instances: [{ desc: 'Libera', network_id: 'libera', fields: {} }],
};
const location: ThirdPartyLocation = {
  alias: '#irc_#rust:example.org',
  protocol: 'irc',
  fields: { channel: '#rust' },
};
const user: ThirdPartyUser = {
  userid: '@irc_alice:example.org',
  protocol: 'irc',
  fields: { nick: 'alice' },
};

const event = (n: number) => ({
  event_id: `$ev${n}`,
  room_id: '!room:example.org',
  sender: '@alice:example.org',
  type: 'm.room.message',
  origin_server_ts: 1_700_000_000_000 + n,
  content: { msgtype: 'm.text', body: `hello ${n}` },
});

let server: { url: string; close: () => Promise<void> };
let captured: CapturedLog;
const calls: {
  txns: [string, Transaction][];
  pings: (string | undefined)[];
  fields: Record<string, string>[];
} = { txns: [], pings: [], fields: [] };
let failNextTransaction = false;
let throwInUserQuery = false;

const handlers: AppserviceHandlers = {
  async onTransaction(txnId, txn) {
    if (failNextTransaction) {
      failNextTransaction = false;
      throw new Error('database is locked at /secret/path.db');
    }
    calls.txns.push([txnId, txn]);
  },
  async onUserQuery(userId) {
    if (throwInUserQuery) throw new Error('internal detail');
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

beforeAll(async () => {
  captured = captureLog();
  server = await listen(
    appserviceRouter({ hsToken: HS_TOKEN, handlers, maxBodyBytes: 64 * 1024, log: captured.log }),
  );
});
afterAll(() => server.close());
beforeEach(() => {
  calls.txns.length = 0;
  calls.pings.length = 0;
  calls.fields.length = 0;
  captured.lines.length = 0;
});

async function call(
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
const putTxn = (
  txnId: string,
  body: string | object,
  headers: Record<string, string> = auth,
  prefix = '/_matrix/app/v1',
) => call('PUT', `${prefix}/transactions/${txnId}`, { body, headers });

describe('authentication', () => {
  it('answers 401 M_UNAUTHORIZED without credentials', async () => {
    const res = await putTxn('1', { events: [] }, {});
    expect(res).toMatchObject({ status: 401, json: { errcode: 'M_UNAUTHORIZED' } });
    expect(calls.txns).toHaveLength(0);
  });

  it('answers 403 M_FORBIDDEN for a wrong token, of any length', async () => {
    for (const token of ['wrong', `${HS_TOKEN}x`, HS_TOKEN.slice(0, -1), '']) {
      const res = await putTxn('1', { events: [] }, { authorization: `Bearer ${token}` });
      expect(res.status, token).toBe(403);
      expect(res.json).toMatchObject({ errcode: 'M_FORBIDDEN' });
    }
    expect(calls.txns).toHaveLength(0);
  });

  it('answers 403 for a non-Bearer Authorization header', async () => {
    const res = await putTxn('1', { events: [] }, { authorization: `Basic ${HS_TOKEN}` });
    expect(res).toMatchObject({ status: 403, json: { errcode: 'M_FORBIDDEN' } });
  });

  it('accepts the legacy access_token query parameter', async () => {
    const res = await call('PUT', `/_matrix/app/v1/transactions/7?access_token=${HS_TOKEN}`, {
      body: { events: [] },
    });
    expect(res).toMatchObject({ status: 200, json: {} });
    expect(calls.txns.map(([id]) => id)).toEqual(['7']);
  });

  it('rejects a wrong legacy token, and a header and query that disagree', async () => {
    expect(
      (await call('GET', '/_matrix/app/v1/users/%40irc_alice%3Aexample.org?access_token=nope'))
        .status,
    ).toBe(403);
    const both = await call(
      'GET',
      '/_matrix/app/v1/users/%40irc_alice%3Aexample.org?access_token=nope',
      { headers: auth },
    );
    expect(both).toMatchObject({ status: 403, json: { errcode: 'M_FORBIDDEN' } });
  });

  it('guards every route, not only transactions', async () => {
    for (const path of [
      '/_matrix/app/v1/users/@a:b',
      '/_matrix/app/v1/rooms/%23a:b',
      '/_matrix/app/v1/thirdparty/protocol/irc',
      '/thirdparty/user?userid=@a:b',
    ]) {
      expect((await call('GET', path)).status, path).toBe(401);
    }
    expect((await call('POST', '/_matrix/app/v1/ping', { body: {} })).status).toBe(401);
  });
});

describe('routing', () => {
  it('answers 404 M_UNRECOGNIZED for an unknown path', async () => {
    for (const path of [
      '/_matrix/app/v1/nope',
      '/_matrix/app/v2/transactions/1',
      '/_matrix/app/v1/transactions/1/extra',
    ]) {
      const res = await call('GET', path, { headers: auth });
      expect(res, path).toMatchObject({ status: 404, json: { errcode: 'M_UNRECOGNIZED' } });
    }
  });

  it('answers 405 M_UNRECOGNIZED for a known path with the wrong method', async () => {
    expect(await call('GET', '/_matrix/app/v1/transactions/1', { headers: auth })).toMatchObject({
      status: 405,
      json: { errcode: 'M_UNRECOGNIZED' },
    });
    expect(await call('POST', '/_matrix/app/v1/users/@a:b', { headers: auth })).toMatchObject({
      status: 405,
      json: { errcode: 'M_UNRECOGNIZED' },
    });
    expect(await call('GET', '/_matrix/app/v1/ping', { headers: auth })).toMatchObject({
      status: 405,
      json: { errcode: 'M_UNRECOGNIZED' },
    });
    expect(await call('DELETE', '/transactions/1', { headers: auth })).toMatchObject({
      status: 405,
    });
  });

  it('answers JSON', async () => {
    expect((await putTxn('1', { events: [] })).type).toMatch(/^application\/json/);
    expect((await call('GET', '/_matrix/app/v1/nope', { headers: auth })).type).toMatch(
      /^application\/json/,
    );
  });

  it('leaves paths outside the appservice API to the app it is mounted in', async () => {
    const res = await call('GET', '/metrics', { headers: auth });
    expect(res.status).toBe(404);
    expect(res.type).not.toMatch(/json/); // express's own 404, not M_UNRECOGNIZED
  });
});

describe('PUT /transactions/{txnId}', () => {
  it('hands events and ephemeral data to the handler and answers {}', async () => {
    const typing = {
      type: 'm.typing',
      room_id: '!room:example.org',
      content: { user_ids: ['@alice:example.org'] },
    };
    const res = await putTxn('42', {
      events: [event(1), event(2)],
      ephemeral: [typing],
      to_device: [{ type: 'm.x', content: {} }],
    });
    expect(res).toMatchObject({ status: 200, json: {} });
    expect(calls.txns).toHaveLength(1);
    const [txnId, txn] = calls.txns[0]!;
    expect(txnId).toBe('42');
    expect(txn.events.map((e) => e.event_id)).toEqual(['$ev1', '$ev2']);
    expect(txn.ephemeral).toEqual([typing]);
    expect(txn.toDevice).toHaveLength(1);
  });

  it('reads the unstable MSC2409 keys', async () => {
    const receipt = {
      type: 'm.receipt',
      room_id: '!room:example.org',
      content: { $ev1: { 'm.read': { '@alice:example.org': { ts: 1 } } } },
    };
    await putTxn('43', {
      events: [],
      'de.sorunome.msc2409.ephemeral': [receipt],
      'de.sorunome.msc2409.to_device': [{ type: 'm.y', content: {} }],
    });
    expect(calls.txns[0]![1]).toMatchObject({
      events: [],
      ephemeral: [receipt],
      toDevice: [{ type: 'm.y' }],
    });
  });

  it('reads EDUs once when both the stable and the unstable key carry them', async () => {
    const presence = {
      type: 'm.presence',
      sender: '@alice:example.org',
      content: { presence: 'online' },
    };
    await putTxn('44', {
      events: [],
      ephemeral: [presence],
      'de.sorunome.msc2409.ephemeral': [presence],
    });
    expect(calls.txns[0]![1].ephemeral).toEqual([presence]);
  });

  it('defaults missing ephemeral and to-device lists to empty', async () => {
    await putTxn('45', { events: [event(1)] });
    expect(calls.txns[0]![1]).toMatchObject({ ephemeral: [], toDevice: [] });
  });

  it('serves the legacy unprefixed path', async () => {
    const res = await putTxn('46', { events: [event(3)] }, auth, '');
    expect(res.status).toBe(200);
    expect(calls.txns[0]![0]).toBe('46');
  });

  it('decodes the txnId path segment', async () => {
    await putTxn('a%2Fb%20c', { events: [] });
    expect(calls.txns[0]![0]).toBe('a/b c');
  });

  it('answers 400 M_NOT_JSON for a body that is not JSON, or none', async () => {
    expect(await putTxn('1', '{"events": [')).toMatchObject({
      status: 400,
      json: { errcode: 'M_NOT_JSON' },
    });
    expect(await putTxn('1', '')).toMatchObject({ status: 400, json: { errcode: 'M_NOT_JSON' } });
    expect(calls.txns).toHaveLength(0);
  });

  it('answers 400 M_BAD_JSON for JSON of the wrong shape', async () => {
    for (const body of [
      [],
      'null',
      '"events"',
      {},
      { events: {} },
      { events: [], ephemeral: 'x' },
      { events: [], 'de.sorunome.msc2409.to_device': {} },
    ]) {
      const res = await putTxn('1', body);
      expect(res, JSON.stringify(body)).toMatchObject({
        status: 400,
        json: { errcode: 'M_BAD_JSON' },
      });
    }
    expect(calls.txns).toHaveLength(0);
  });

  it('answers 413 M_TOO_LARGE for a body over the limit', async () => {
    const big = { events: [{ ...event(1), content: { body: 'x'.repeat(70 * 1024) } }] };
    expect(await putTxn('1', big)).toMatchObject({ status: 413, json: { errcode: 'M_TOO_LARGE' } });
    expect(calls.txns).toHaveLength(0);
  });

  it('drops malformed events with a warning and keeps the rest', async () => {
    const bad = [
      { ...event(10), event_id: undefined },
      { ...event(11), room_id: 5 },
      { ...event(12), type: '' },
      { ...event(13), sender: 'alice' },
      { ...event(14), content: 'text' },
      { ...event(15), content: null },
      'not an event',
    ];
    const badEdu = { type: 'm.typing', content: { user_ids: [] } }; // no room_id
    const res = await putTxn('50', { events: [event(1), ...bad, event(2)], ephemeral: [badEdu] });
    expect(res.status).toBe(200);
    expect(calls.txns[0]![1].events.map((e) => e.event_id)).toEqual(['$ev1', '$ev2']);
    expect(calls.txns[0]![1].ephemeral).toEqual([]);
    const warnings = captured.lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(bad.length + 1);
    expect(warnings[0]).toMatchObject({ txnId: '50', index: 1, msg: 'dropping malformed event' });
  });

  it('answers 500 M_UNKNOWN, without internals, when the handler fails, so the homeserver retries', async () => {
    failNextTransaction = true;
    const res = await putTxn('60', { events: [event(1)] });
    expect(res).toMatchObject({ status: 500, json: { errcode: 'M_UNKNOWN' } });
    expect(JSON.stringify(res.json)).not.toMatch(/secret|database/);
    expect((await putTxn('60', { events: [event(1)] })).status).toBe(200);
    expect(calls.txns.map(([id]) => id)).toEqual(['60']);
  });

  it('merges a retry that arrives while the same txnId is still being stored', async () => {
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const original = handlers.onTransaction;
    let runs = 0;
    handlers.onTransaction = async () => {
      runs++;
      await slow;
    };
    try {
      const first = putTxn('70', { events: [event(1)] });
      const second = putTxn('70', { events: [event(1)] });
      await new Promise((r) => setTimeout(r, 50)); // both requests reach the router
      release();
      expect((await first).status).toBe(200);
      expect((await second).status).toBe(200);
      expect(runs).toBe(1);
    } finally {
      handlers.onTransaction = original;
    }
  });
});

describe('queries', () => {
  it('answers a user query 200 {} or 404 M_NOT_FOUND', async () => {
    expect(
      await call('GET', '/_matrix/app/v1/users/%40irc_alice%3Aexample.org', { headers: auth }),
    ).toMatchObject({ status: 200, json: {} });
    expect(
      await call('GET', '/_matrix/app/v1/users/%40irc_bob%3Aexample.org', { headers: auth }),
    ).toMatchObject({ status: 404, json: { errcode: 'M_NOT_FOUND' } });
    expect(await call('GET', '/users/%40irc_alice%3Aexample.org', { headers: auth })).toMatchObject(
      { status: 200 },
    );
  });

  it('answers an alias query 200 {} or 404 M_NOT_FOUND', async () => {
    expect(
      await call('GET', '/_matrix/app/v1/rooms/%23irc_%23rust%3Aexample.org', { headers: auth }),
    ).toMatchObject({ status: 200, json: {} });
    expect(
      await call('GET', '/_matrix/app/v1/rooms/%23other%3Aexample.org', { headers: auth }),
    ).toMatchObject({ status: 404, json: { errcode: 'M_NOT_FOUND' } });
    expect(
      await call('GET', '/rooms/%23irc_%23rust%3Aexample.org', { headers: auth }),
    ).toMatchObject({ status: 200 });
  });

  it('rejects ids with the wrong sigil', async () => {
    expect(await call('GET', '/_matrix/app/v1/users/alice', { headers: auth })).toMatchObject({
      status: 400,
      json: { errcode: 'M_INVALID_PARAM' },
    });
    expect(await call('GET', '/_matrix/app/v1/rooms/!room:x', { headers: auth })).toMatchObject({
      status: 400,
      json: { errcode: 'M_INVALID_PARAM' },
    });
  });

  it('answers 500 M_UNKNOWN without details when a handler throws', async () => {
    throwInUserQuery = true;
    try {
      const res = await call('GET', '/_matrix/app/v1/users/%40a%3Ab', { headers: auth });
      expect(res).toMatchObject({
        status: 500,
        json: { errcode: 'M_UNKNOWN', error: 'Internal server error' },
      });
    } finally {
      throwInUserQuery = false;
    }
  });
});

describe('third-party lookups', () => {
  it('serves protocol metadata, and 404 for an unknown protocol', async () => {
    expect(
      await call('GET', '/_matrix/app/v1/thirdparty/protocol/irc', { headers: auth }),
    ).toMatchObject({ status: 200, json: protocol });
    expect(
      await call('GET', '/_matrix/app/v1/thirdparty/protocol/xmpp', { headers: auth }),
    ).toMatchObject({ status: 404, json: { errcode: 'M_NOT_FOUND' } });
  });

  it('passes the query fields through, without the legacy token', async () => {
    const res = await call(
      'GET',
      `/_matrix/app/v1/thirdparty/location/irc?channel=%23rust&access_token=${HS_TOKEN}`,
    );
    expect(res).toMatchObject({ status: 200, json: [location] });
    expect(calls.fields).toEqual([{ channel: '#rust' }]);
    expect(
      await call('GET', '/_matrix/app/v1/thirdparty/user/irc?nick=alice', { headers: auth }),
    ).toMatchObject({ status: 200, json: [user] });
  });

  it('answers an empty lookup with 404 M_NOT_FOUND, as the spec says', async () => {
    expect(
      await call('GET', '/_matrix/app/v1/thirdparty/location/irc?channel=%23none', {
        headers: auth,
      }),
    ).toMatchObject({ status: 404, json: { errcode: 'M_NOT_FOUND' } });
    expect(
      await call('GET', '/_matrix/app/v1/thirdparty/user/irc?nick=bob', { headers: auth }),
    ).toMatchObject({ status: 404 });
    expect(
      await call('GET', '/_matrix/app/v1/thirdparty/location?alias=%23none%3Ax', { headers: auth }),
    ).toMatchObject({ status: 404 });
    expect(
      await call('GET', '/_matrix/app/v1/thirdparty/user?userid=%40none%3Ax', { headers: auth }),
    ).toMatchObject({ status: 404 });
  });

  it('reverse-looks-up by alias and by user id', async () => {
    expect(
      await call(
        'GET',
        `/_matrix/app/v1/thirdparty/location?alias=${encodeURIComponent(location.alias)}`,
        { headers: auth },
      ),
    ).toMatchObject({ status: 200, json: [location] });
    expect(
      await call(
        'GET',
        `/_matrix/app/v1/thirdparty/user?userid=${encodeURIComponent(user.userid)}`,
        { headers: auth },
      ),
    ).toMatchObject({ status: 200, json: [user] });
  });

  it('answers 400 M_MISSING_PARAM when the reverse lookup lacks its parameter', async () => {
    expect(
      await call('GET', '/_matrix/app/v1/thirdparty/location', { headers: auth }),
    ).toMatchObject({ status: 400, json: { errcode: 'M_MISSING_PARAM' } });
    expect(await call('GET', '/_matrix/app/v1/thirdparty/user', { headers: auth })).toMatchObject({
      status: 400,
      json: { errcode: 'M_MISSING_PARAM' },
    });
  });

  it('serves the legacy third-party paths', async () => {
    expect(
      (await call('GET', '/_matrix/app/unstable/thirdparty/protocol/irc', { headers: auth }))
        .status,
    ).toBe(200);
    expect((await call('GET', '/thirdparty/protocol/irc', { headers: auth })).status).toBe(200);
    expect(
      (
        await call('GET', `/thirdparty/user?userid=${encodeURIComponent(user.userid)}`, {
          headers: auth,
        })
      ).status,
    ).toBe(200);
  });
});

describe('POST /ping', () => {
  it('answers {} and reports the transaction id', async () => {
    expect(
      await call('POST', '/_matrix/app/v1/ping', {
        body: { transaction_id: 'meow' },
        headers: auth,
      }),
    ).toMatchObject({ status: 200, json: {} });
    expect(await call('POST', '/_matrix/app/v1/ping', { body: {}, headers: auth })).toMatchObject({
      status: 200,
      json: {},
    });
    expect(calls.pings).toEqual(['meow', undefined]);
  });

  it('rejects a malformed ping body', async () => {
    expect(await call('POST', '/_matrix/app/v1/ping', { body: '{', headers: auth })).toMatchObject({
      status: 400,
      json: { errcode: 'M_NOT_JSON' },
    });
    expect(
      await call('POST', '/_matrix/app/v1/ping', { body: { transaction_id: 5 }, headers: auth }),
    ).toMatchObject({ status: 400, json: { errcode: 'M_BAD_JSON' } });
    expect(await call('POST', '/_matrix/app/v1/ping', { body: '[]', headers: auth })).toMatchObject(
      { status: 400, json: { errcode: 'M_BAD_JSON' } },
    );
  });
});
