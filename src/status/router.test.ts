// The status page's HTTP rules without a bridge: who gets in, what a POST needs, and that what
// bridges and rooms say is escaped on the page.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusAuth } from './auth.js';
import { statusRouter } from './router.js';
import type { PortalPage, StatusSnapshot, StatusSource } from './snapshot.js';

const TOKEN = 'script_token_0123456789';
const snapshot: StatusSnapshot = {
  version: '0.1.0',
  startedAt: 0,
  uptimeSeconds: 65,
  now: 100_000,
  database: { kind: 'sqlite', where: 'sqlite x.db', sizeBytes: 4096 },
  warnings: ['admins is empty'],
  problems: [],
  homeserver: { reachable: true, lastTransactionAt: 90_000, ping: { ok: true, ms: 12 } },
  bridges: [
    {
      id: 'irc',
      name: 'IRC',
      state: 'failed',
      reason: '<script>alert(1)</script>',
      connections: [{ network: 'libera', states: { connected: 1, down: 2 } }],
    },
  ],
  backlog: { inbox: 3, outbox: 4 },
  queues: { to_network: 0, to_matrix: 0 },
  latency: [
    { direction: 'to_network', count: 10, p50: 3.5, p99: 40 },
    { direction: 'to_matrix', count: 0 },
  ],
  traffic: {
    minutes: [0, 60_000],
    series: [{ bridge: 'irc', direction: 'to_network', counts: [1, 2] }],
  },
  failures: [
    {
      eventId: '$ev1',
      roomId: '!r:hs',
      bridge: 'irc',
      reason: 'network "down"',
      finishedAt: 99_000,
    },
  ],
  refused: [{ bridge: 'irc', reason: 'too long', count: 5, last: 99_000 }],
};
const portals: PortalPage = {
  query: { page: 1 },
  total: 1,
  pages: 1,
  rows: [{ bridge: 'irc', portalKey: '#a<b>', roomId: '!r:hs', createdAt: 0 }],
};
const source = {
  snapshot: async () => snapshot,
  portals: async () => portals,
  roomOutcomes: async () => [],
} as unknown as StatusSource;

describe('status page routes', () => {
  let server: Server;
  let base: string;
  const retried: string[] = [];
  const auth = new StatusAuth({ key: () => randomBytes(32), linkTtlMs: 600_000, token: TOKEN });

  beforeAll(async () => {
    const app = express();
    app.use(
      statusRouter({
        auth,
        source,
        retry: async (id) => (retried.push(id), id === '$ev1'),
        secure: false,
        log: pino({ level: 'silent' }),
      }),
    );
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/_switchboard/status`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const login = async () => {
    const res = await fetch(`${base}/login?t=${auth.linkToken('@admin:hs')}`);
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(
      /^sb_status=[\w-]+; Path=\/_switchboard\/status; Max-Age=\d+; HttpOnly; SameSite=Strict$/,
    );
    return cookie.split(';')[0]!;
  };

  it('refuses without a session (401), with a wrong token or a bad link (403)', async () => {
    for (const path of ['/', '/api', '/live', '/portal?room=!r:hs', '/assets/status.js'])
      expect((await fetch(`${base}${path}`)).status).toBe(401);
    expect(
      (await fetch(`${base}/api`, { headers: { authorization: 'Bearer wrong_token_0123456789' } }))
        .status,
    ).toBe(403);
    expect((await fetch(`${base}/login?t=nope.nope`)).status).toBe(403);
    expect((await fetch(`${base}/`, { headers: { cookie: 'sb_status=made-up' } })).status).toBe(
      401,
    );
    expect((await fetch(`${base}/retry`, { method: 'POST' })).status).toBe(401);
  });

  it('the token gives scripts the JSON, and nothing secret is in it', async () => {
    const res = await fetch(`${base}/api`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as StatusSnapshot & { portals: PortalPage };
    expect(body.bridges[0]!.connections).toEqual([
      { network: 'libera', states: { connected: 1, down: 2 } },
    ]);
    expect(body.portals.total).toBe(1);
    expect(JSON.stringify(body)).not.toContain(TOKEN);
  });

  it('a link signs in once; the page escapes what bridges and rooms say, and runs only its own scripts', async () => {
    const cookie = await login();
    const res = await fetch(`${base}/`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const page = await res.text();
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toContain('<script>alert');
    expect(page).toContain('#a&lt;b&gt;');
    expect(page).toContain('network &quot;down&quot;');
    expect(page).toMatch(/<script src="assets\/uPlot.iife.min.js"><\/script>/);
    expect(page).not.toMatch(/<script>/);
    const js = await fetch(`${base}/assets/uPlot.iife.min.js`, { headers: { cookie } });
    expect(js.status).toBe(200);
    expect(await js.text()).toContain('uPlot');
  });

  it("a retry needs the session's CSRF token and the page's own origin", async () => {
    const cookie = await login();
    const page = await (await fetch(`${base}/`, { headers: { cookie } })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const post = (body: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${base}/retry`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(body).toString(),
      });
    expect((await post({ event: '$ev1' })).status).toBe(403);
    expect((await post({ event: '$ev1', csrf: 'wrong' })).status).toBe(403);
    expect((await post({ event: '$ev1', csrf }, { origin: 'https://evil.example' })).status).toBe(
      403,
    );
    expect((await post({ event: '$ev1', csrf }, { 'sec-fetch-site': 'cross-site' })).status).toBe(
      403,
    );
    expect(retried).toEqual([]);
    const ok = await post({ event: '$ev1', csrf }, { origin: new URL(base).origin });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('./?retried=%24ev1&ok=1#failures');
    expect(retried).toEqual(['$ev1']);
    const viaToken = await fetch(`${base}/retry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ event: '$other' }),
    });
    expect(await viaToken.json()).toEqual({ retried: false });
  });

  it('sign out ends the session', async () => {
    const cookie = await login();
    const page = await (await fetch(`${base}/`, { headers: { cookie } })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const out = await fetch(`${base}/logout`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: `csrf=${encodeURIComponent(csrf)}`,
    });
    expect(out.status).toBe(200);
    expect((await fetch(`${base}/`, { headers: { cookie } })).status).toBe(401);
  });

  it('the page without its trailing slash redirects to it', async () => {
    const res = await fetch(`${base}?q=x`, { redirect: 'manual' });
    expect(res.status).toBe(308);
    expect(res.headers.get('location')).toBe('status/?q=x');
    const slash = await fetch(`${base}/`, { redirect: 'manual' });
    expect(slash.status).toBe(401); // not redirected again
  });
});
