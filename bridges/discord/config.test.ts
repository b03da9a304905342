import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discordConfigSchema, readToken } from './config.js';

describe('Discord config', () => {
  it('takes a token and defaults the rest', () => {
    const c = discordConfigSchema.parse({ token: 't0ken' });
    expect(c).toMatchObject({
      channels: [],
      dynamic_aliases: false,
      identify_budget: 900,
      webhook_name: 'Switchboard',
    });
    expect(readToken(c)).toBe('t0ken');
  });

  it('reads the token from token_file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sb-discord-')), 'token');
    writeFileSync(file, 'from-file\n');
    expect(readToken(discordConfigSchema.parse({ token_file: file }))).toBe('from-file');
  });

  it('says which key is wrong and how to fix it, without the token', () => {
    const both = discordConfigSchema.safeParse({ token: 'secret-token', token_file: '/x' });
    expect(both.success).toBe(false);
    expect(JSON.stringify(both.error?.issues)).toContain('set exactly one of token or token_file');
    expect(JSON.stringify(both.error?.issues)).not.toContain('secret-token');
    const channel = discordConfigSchema.safeParse({ token: 't', channels: [{ id: 'general' }] });
    expect(channel.error?.issues[0]?.message).toContain('must be a Discord channel id');
    const budget = discordConfigSchema.safeParse({ token: 't', identify_budget: 1000 });
    expect(budget.error?.issues[0]?.message).toContain('below Discord');
    const hook = discordConfigSchema.safeParse({ token: 't', webhook_name: 'My Discord bridge' });
    expect(hook.error?.issues[0]?.message).toContain('must not contain "discord"');
    const whole = discordConfigSchema.safeParse({
      token: 't',
      guilds: ['123456789012345678'],
      whole_guilds: ['223456789012345678'],
    });
    expect(whole.error?.issues[0]).toMatchObject({
      path: ['whole_guilds'],
      message: '223456789012345678 not in guilds: add them to guilds, or remove them here',
    });
  });
});
