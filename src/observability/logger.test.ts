import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED, redactUrl } from './logger.js';

/** A stream that keeps what the logger wrote, to read it back. */
function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

const SECRET = 's3cr3t-t0ken-value';

describe('createLogger', () => {
  it('writes JSON lines with the level and message', () => {
    const out = capture();
    const log = createLogger({ pretty: false, destination: out.stream, level: 'debug' });
    log.debug({ portal: 'libera/#rust' }, 'hello');
    const line = JSON.parse(out.text().trim());
    expect(line).toMatchObject({ level: 20, msg: 'hello', portal: 'libera/#rust' });
  });

  it('honours the level', () => {
    const out = capture();
    const log = createLogger({ pretty: false, destination: out.stream, level: 'warn' });
    log.info('quiet');
    log.warn('loud');
    expect(out.text()).not.toContain('quiet');
    expect(out.text()).toContain('loud');
  });

  it('never writes a token, password or authorization header', () => {
    const out = capture();
    const log = createLogger({ pretty: false, destination: out.stream });
    log.info({ as_token: SECRET, hs_token: SECRET, password: SECRET }, 'top level');
    log.info(
      {
        registration: { as_token: SECRET, hs_token: SECRET, asToken: SECRET, hsToken: SECRET },
        login: { password: SECRET, access_token: SECRET, accessToken: SECRET, secret: SECRET },
        req: { headers: { authorization: `Bearer ${SECRET}`, cookie: SECRET, host: 'hs' } },
        config: { appservice: { as_token: SECRET, url: 'http://localhost' } },
        url: `/_matrix/app/v1/transactions/1?access_token=${SECRET}`,
      },
      'nested',
    );
    const text = out.text();
    expect(text).not.toContain(SECRET);
    expect(text).toContain(REDACTED);
    const nested = JSON.parse(text.trim().split('\n')[1]!);
    expect(nested.req.headers).toEqual({ authorization: REDACTED, cookie: REDACTED, host: 'hs' });
    expect(nested.config.appservice.url).toBe('http://localhost');
    expect(nested.url).toBe(`/_matrix/app/v1/transactions/1?access_token=${REDACTED}`);
  });

  it('redacts in pretty output too', () => {
    const out = capture();
    const log = createLogger({ pretty: true, destination: out.stream });
    log.info({ registration: { as_token: SECRET } }, 'pretty line');
    const text = out.text();
    expect(text).toContain('pretty line');
    expect(text).not.toContain(SECRET);
    expect(() => JSON.parse(text)).toThrow(); // human-readable, not JSON
  });
});

describe('redactUrl', () => {
  it('masks token query parameters and keeps the rest', () => {
    expect(redactUrl(`https://hs/_matrix/client/v3/sync?access_token=${SECRET}&since=s1`)).toBe(
      `https://hs/_matrix/client/v3/sync?access_token=${REDACTED}&since=s1`,
    );
    expect(redactUrl(`/users/@a:b?user_id=@x:y&ACCESS_TOKEN=${SECRET}#frag`)).toBe(
      `/users/@a:b?user_id=@x:y&ACCESS_TOKEN=${REDACTED}#frag`,
    );
    expect(redactUrl('/no/query')).toBe('/no/query');
  });
});
