import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { MatrixClient } from '../matrix/client.js';
import { MatrixConnectionError, MatrixError } from '../matrix/errors.js';
import { checkHomeserver, checkPing, StartupError } from './startup-checks.js';

function captured() {
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });
  return { log, lines };
}

const failingVersions = (err: Error) =>
  ({ versions: () => Promise.reject(err) }) as unknown as MatrixClient;

const failure = (code: string, message = code) =>
  new MatrixConnectionError(message, false, { cause: Object.assign(new Error(message), { code }) });

describe('checkPing', () => {
  it('warns that appservice.url is unverified when the homeserver has no ping endpoint', async () => {
    const { log, lines } = captured();
    const client = {
      pingAppservice: () => Promise.reject(new MatrixError(404, 'M_UNRECOGNIZED', 'Unrecognized')),
    } as unknown as MatrixClient;
    await checkPing(client, 'switchboard', log);
    const warning = lines.find((l) => l.level === 40);
    expect(warning?.msg).toContain('appservice.url could not be verified');
    expect(warning?.msg).toContain('Check it by hand');
  });
});

describe('checkHomeserver names the likely cause', () => {
  const reason = async (url: string, err: Error) => {
    const notPlain = () => Promise.resolve(false);
    const thrown = await checkHomeserver(failingVersions(err), url, notPlain).catch(
      (e: unknown) => e,
    );
    expect(thrown).toBeInstanceOf(StartupError);
    expect((thrown as StartupError).exitCode).toBe(10);
    return (thrown as StartupError).message;
  };

  it('an answer that is not HTTP on an http:// URL: the port may speak TLS', async () => {
    expect(await reason('http://hs:8448', failure('HPE_INVALID_CONSTANT'))).toContain(
      'the port may speak TLS (then use https://)',
    );
  });

  it('a TLS failure on an https:// URL: the port may speak plain HTTP', async () => {
    expect(await reason('https://hs:8008', failure('ERR_SSL_WRONG_VERSION_NUMBER'))).toContain(
      'the port may speak plain HTTP (then use http://)',
    );
  });

  it('an https:// URL on a port that answers plain HTTP: says so at once, without retrying', async () => {
    let asked = 0;
    const client = { versions: () => (asked++, Promise.resolve({})) } as unknown as MatrixClient;
    const thrown = await checkHomeserver(client, 'https://hs:8008', () =>
      Promise.resolve(true),
    ).catch((e: unknown) => e);
    expect((thrown as StartupError).exitCode).toBe(10);
    expect((thrown as StartupError).message).toContain(
      'speaks plain HTTP on that port, not TLS: use http://',
    );
    expect(asked).toBe(0);
  });

  it('a certificate Node does not trust: says how to trust it', async () => {
    expect(await reason('https://hs', failure('DEPTH_ZERO_SELF_SIGNED_CERT'))).toContain(
      'NODE_EXTRA_CA_CERTS',
    );
  });
});
