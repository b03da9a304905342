// The bot's connection against the fake Discord (no homeserver needed): the identify budget is
// kept across restarts, a refused token is not retried, and the token never reaches the logs.
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { KeyValueStore } from '../../../src/connector.js';
import { FakeDiscord } from '../../../test/support/fake-discord/index.js';
import { discordConfigSchema } from '../config.js';
import { DiscordConnection } from './connection.js';

const memoryKv = (): KeyValueStore => {
  const m = new Map<string, unknown>();
  return {
    get: async <T>(k: string) => m.get(k) as T | undefined,
    set: async (k, v) => void m.set(k, v),
    delete: async (k) => void m.delete(k),
  };
};
const capture = () => {
  const lines: string[] = [];
  const log = pino(
    { level: 'debug' },
    new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }),
  );
  return { log, lines };
};
const until = async (ok: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('Discord connection', () => {
  let fake: FakeDiscord;
  const open: DiscordConnection[] = [];
  afterEach(async () => {
    for (const c of open.splice(0)) await c.stop();
    await fake?.close();
  });

  const connect = (token: string, kv: KeyValueStore, budget: number, log = capture().log) => {
    const config = discordConfigSchema.parse({
      token,
      api_url: fake.apiUrl,
      identify_budget: budget,
    });
    const c = new DiscordConnection(config, token, kv, log);
    open.push(c);
    c.start();
    return c;
  };

  it('counts identifies in the store and waits once the day’s budget is spent', async () => {
    fake = await FakeDiscord.start();
    const kv = memoryKv();
    const first = connect(fake.token, kv, 2);
    await first.ready();
    await first.stop();
    const second = connect(fake.token, kv, 2);
    await second.ready();
    await second.stop();
    expect(fake.gateway.identifies).toBe(2);
    const { log, lines } = capture();
    const third = connect(fake.token, kv, 2, log);
    await until(() => third.state === 'waiting');
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.gateway.identifies).toBe(2);
    expect(fake.rest.calls.filter((c) => c.path === '/gateway/bot')).toHaveLength(2);
    expect(lines.join('')).toContain('identify budget is spent');
  });

  it('does not retry a refused token, and never logs it', async () => {
    fake = await FakeDiscord.start();
    const { log, lines } = capture();
    const token = 'wrong-token-SECRET-123';
    const c = connect(token, memoryKv(), 10, log);
    await until(() => c.state === 'refused');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(fake.rest.calls.filter((x) => x.path === '/gateway/bot')).toHaveLength(1);
    expect(fake.gateway.identifies).toBe(0);
    expect(lines.join('')).toContain('Discord refused the bot token');
    expect(lines.join('')).not.toContain('SECRET');
  });
});
