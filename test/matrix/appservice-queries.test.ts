import { describe, expect, it } from 'vitest';
import {
  HS_TOKEN,
  auth,
  protocol,
  location,
  user,
  calls,
  call,
  flags,
  useAppservice,
} from './appservice-fixture.js';

useAppservice();

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
    flags.throwInUserQuery = true;
    try {
      const res = await call('GET', '/_matrix/app/v1/users/%40a%3Ab', { headers: auth });
      expect(res).toMatchObject({
        status: 500,
        json: { errcode: 'M_UNKNOWN', error: 'Internal server error' },
      });
    } finally {
      flags.throwInUserQuery = false;
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
