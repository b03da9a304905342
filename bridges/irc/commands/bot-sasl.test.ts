// The bot's own SASL login (`bot_sasl`): how the config is checked (errors name the key, never
// show the password) and what is logged when the server answers (the account, never the password).
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ircConfigSchema } from '../config.js';
import type { IrcConnection } from '../connection/connection.js';
import { watchBotLogin } from './login.js';

const PASSWORD = 'hunter2-very-secret';

function problems(botSasl: unknown): string {
  const r = ircConfigSchema.safeParse({ networks: { libera: { host: 'x', bot_sasl: botSasl } } });
  return r.success ? '' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
}

describe('bot_sasl config', () => {
  it('takes an account and a password', () => {
    const config = ircConfigSchema.parse({
      networks: { libera: { host: 'x', bot_sasl: { account: 'sbbot', password: PASSWORD } } },
    });
    expect(config.networks.libera?.bot_sasl).toEqual({ account: 'sbbot', password: PASSWORD });
  });

  it('names the key in its errors and never shows the password', () => {
    expect(problems({ account: 'sbbot' })).toMatch(/^networks\.libera\.bot_sasl\.password: /);
    expect(problems({ account: 'a b', password: PASSWORD })).toBe(
      'networks.libera.bot_sasl.account: must be the services account name (1 to 64 characters, no spaces)',
    );
    expect(problems({ account: 'sbbot', password: '' })).toBe(
      'networks.libera.bot_sasl.password: must be the account password',
    );
    const injected = problems({ account: 'sbbot', password: `${PASSWORD}\r\nQUIT` });
    expect(injected).toBe('networks.libera.bot_sasl.password: must not contain NUL, CR or LF');
    expect(injected).not.toContain(PASSWORD);
    expect(problems({ account: 'sbbot', password: PASSWORD, mechanism: 'EXTERNAL' })).toContain(
      'networks.libera.bot_sasl',
    );
  });
});

describe('watchBotLogin', () => {
  const logged = () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const client = new EventEmitter();
    watchBotLogin({ client } as unknown as IrcConnection, 'sbbot', log);
    return { client, lines };
  };

  it('logs a login with its account', () => {
    const { client, lines } = logged();
    client.emit('loggedin', { account: 'sbbot' });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, account: 'sbbot' });
  });

  it('logs a failure as an error with the reason and the account, not the password', () => {
    const { client, lines } = logged();
    client.emit('sasl failed', { reason: 'fail', message: 'SASL authentication failed' });
    client.emit('sasl failed', { reason: 'capability_missing' });
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toMatchObject([
      { level: 50, account: 'sbbot', reason: 'SASL authentication failed' },
      { level: 50, account: 'sbbot', reason: 'the IRC server does not offer SASL' },
    ]);
    expect(lines.join('')).not.toContain(PASSWORD);
  });
});
