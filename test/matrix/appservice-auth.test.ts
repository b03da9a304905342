import { describe, expect, it } from 'vitest';
import { HS_TOKEN, auth, calls, putTxn, call, useAppservice } from './appservice-fixture.js';

useAppservice();

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
