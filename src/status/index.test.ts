// The status page on a listener of its own, its token from a file, and `status` when it is off.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { coreCommands } from '../core/commands/core-commands.js';
import { configWarnings, statusToken, StatusPage } from './index.js';
import type { StatusSource } from './snapshot.js';

const log = pino({ level: 'silent' });
const source = {} as StatusSource;
const pageConfig = (over: Record<string, unknown>) =>
  configSchema.shape.status_page.parse({ ...over });

describe('the status page', () => {
  it('listens on its own port when told, and its links point there', async () => {
    const page = new StatusPage({
      config: pageConfig({ port: 0 }),
      appserviceUrl: 'http://127.0.0.1:1/',
      key: () => randomBytes(32),
      source,
      retry: async () => false,
      log,
    });
    await page.listen();
    try {
      expect(page.base()).toBe(`http://127.0.0.1:${page.port}`);
      const link = page.linkFor('@admin:hs');
      expect(link).toMatch(
        new RegExp(
          `^http://127\\.0\\.0\\.1:${page.port}/_switchboard/status/login\\?t=[\\w-]+\\.[\\w-]+$`,
        ),
      );
      expect((await fetch(`${page.base()}/_switchboard/status/`)).status).toBe(401);
      expect((await fetch(`${page.base()}/metrics`)).status).toBe(404); // only the page is served there
      const login = await fetch(link);
      expect(login.status).toBe(200);
      expect(login.headers.get('set-cookie')).toMatch(/^sb_status=/);
    } finally {
      await page.close();
    }
  });

  it('links start with status_page.url when set, else the appservice URL', async () => {
    const make = (over: Record<string, unknown>) =>
      new StatusPage({
        config: pageConfig(over),
        appserviceUrl: 'http://10.0.0.5:29380/',
        key: () => randomBytes(32),
        source,
        retry: async () => false,
        log,
      });
    const proxied = make({ url: 'https://bridge.example.org/admin/' });
    const link = proxied.linkFor('@a:hs');
    expect(link).toMatch(/^https:\/\/bridge\.example\.org\/admin\/_switchboard\/status\/login\?t=/);
    // Behind the proxy's prefix, the cookie's path has it too, and it is Secure (https).
    const app = express().use(proxied.routes);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(
        `http://127.0.0.1:${port}/_switchboard/status/login${new URL(link).search}`,
      );
      expect(res.headers.get('set-cookie')).toMatch(
        /; Path=\/admin\/_switchboard\/status; Max-Age=\d+; HttpOnly; SameSite=Strict; Secure$/,
      );
    } finally {
      await new Promise((r) => server.close(r));
    }
    const plain = make({});
    expect(plain.linkFor('@a:hs')).toMatch(/^http:\/\/10\.0\.0\.5:29380\/_switchboard\/status\//);
    const config = configSchema.parse({
      homeserver: { url: 'http://127.0.0.1:8008', domain: 'hs' },
      appservice: {
        url: 'http://10.0.0.5:29380',
        as_token: 'a'.repeat(20),
        hs_token: 'h'.repeat(20),
      },
    });
    expect(configWarnings(config, plain)).toEqual([
      expect.stringMatching(/^admins is empty/),
      expect.stringMatching(/^the status page is reached over plain http \(10\.0\.0\.5:29380\)/),
    ]);
  });

  it('reads the token from token_file, and says which key when it cannot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-status-'));
    writeFileSync(join(dir, 'token'), 'a_token_from_a_file_123\n');
    writeFileSync(join(dir, 'short'), 'short\n');
    expect(statusToken(pageConfig({ token_file: join(dir, 'token') }))).toBe(
      'a_token_from_a_file_123',
    );
    expect(() => statusToken(pageConfig({ token_file: join(dir, 'short') }))).toThrow(
      /^status_page\.token_file: the token in .* must be at least 16 characters/,
    );
    expect(() => statusToken(pageConfig({ token_file: join(dir, 'missing') }))).toThrow(
      /^status_page\.token_file: cannot read/,
    );
  });

  it('`status` says the page is off when it is', async () => {
    const replies: string[] = [];
    const status = coreCommands({
      runtimes: new Map(),
      links: {} as never,
      inbox: {} as never,
      help: () => '',
      retry: async () => false,
      statusLink: () => undefined,
    }).find((c) => c.name === 'status')!;
    expect(status.requiresAdmin).toBe(true);
    await status.run({
      sender: '@a:hs' as never,
      args: [],
      isAdmin: true,
      reply: async (t) => void replies.push(t),
      redactCommand: async () => {},
    });
    expect(replies).toEqual(['The status page is off (status_page.enabled in the config).']);
  });
});
