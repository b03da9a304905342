// `switchboard irc-pool` and the `pool` config keys: messages that name the key and the fix.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ircConfigSchema } from '../config.js';
import { ircPoolCommand } from './command.js';

const log = pino({ level: 'silent' });
const networks = { libera: { host: 'irc.libera.chat' } };

describe('switchboard irc-pool', () => {
  it('needs bridges.irc.pool.redis', async () => {
    await expect(ircPoolCommand.run({ networks }, log)).rejects.toThrow(
      /bridges\.irc\.pool\.redis: is required for switchboard irc-pool/,
    );
  });

  it('names a bad key and how to fix it', async () => {
    await expect(
      ircPoolCommand.run({ pool: { redis: 'http://x', http_port: 70000 } }, log),
    ).rejects.toThrow(/bridges\.irc\.pool\.redis: must be a redis:\/\/ or rediss:\/\/ URL/);
  });
});

describe('pool config', () => {
  it('defaults prefix and port; without pool the bridge holds its connections', () => {
    const config = ircConfigSchema.parse({ networks, pool: { redis: 'redis://127.0.0.1:6379' } });
    expect(config.pool).toEqual({
      redis: 'redis://127.0.0.1:6379',
      prefix: 'switchboard:irc-pool',
      http_port: 9108,
      http_bind: '127.0.0.1',
    });
    expect(ircConfigSchema.parse({ networks }).pool).toBeUndefined();
  });

  it('refuses unknown keys and bad prefixes', () => {
    expect(
      ircConfigSchema.safeParse({ networks, pool: { redis: 'redis://h', prefx: 'a' } }).success,
    ).toBe(false);
    const bad = ircConfigSchema.safeParse({
      networks,
      pool: { redis: 'redis://h', prefix: 'has space' },
    });
    expect(bad.error?.issues[0]?.message).toMatch(/letters, digits/);
  });
});
