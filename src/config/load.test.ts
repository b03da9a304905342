import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './load.js';

const valid = `
homeserver: { url: http://127.0.0.1:8008, domain: example.org }
appservice: { url: http://127.0.0.1:29380, as_token: ${'a'.repeat(20)}, hs_token: ${'h'.repeat(20)} }
`;

const problems = (text: string) => {
  try {
    parseConfig(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
};

describe('config', () => {
  it('fills defaults', () => {
    const config = parseConfig(valid);
    expect(config.database).toBe('switchboard.db');
    expect(config.appservice.port).toBe(29380);
    expect(config.appservice.bot.localpart).toBe('switchboard');
  });

  it('names a missing key', () => {
    expect(
      problems(
        'homeserver: { domain: x }\nappservice: { url: http://a, as_token: aaaaaaaaaaaaaaaaaaaa, hs_token: hhhhhhhhhhhhhhhhhhhh }',
      ),
    ).toEqual(['homeserver.url: is required (see config.sample.yaml)']);
  });

  it('names a misspelt key and says what to check', () => {
    expect(problems(`${valid}\ndatabsae: x.db`)[0]).toMatch(
      /^\(top level\): unknown key "databsae": check the spelling/,
    );
  });

  it('explains short tokens and bad values', () => {
    const found = problems(valid.replace('a'.repeat(20), 'short').replace('29380', '99999'));
    expect(
      found.some((p) => p.startsWith('appservice.as_token: must be at least 16 characters')),
    ).toBe(true);
  });

  it('reports YAML syntax errors with the line', () => {
    expect(problems('homeserver: [')[0]).toMatch(/^not valid YAML \(line \d+\)/);
  });

  it('requires a secret when provisioning is on', () => {
    expect(problems(`${valid}\nprovisioning: { enabled: true }`)).toEqual([
      'provisioning.secret: secret is required when provisioning is enabled',
    ]);
  });

  it('status_page: on by default; its keys are checked with messages that name them', () => {
    expect(parseConfig(valid).status_page).toEqual({ enabled: true, link_ttl_minutes: 10 });
    expect(parseConfig(`${valid}\nstatus_page: { enabled: false }`).status_page.enabled).toBe(
      false,
    );
    expect(problems(`${valid}\nstatus_page: { token: short }`)).toEqual([
      'status_page.token: must be at least 16 characters: `switchboard init` writes a random one',
    ]);
    expect(problems(`${valid}\nstatus_page: { token: ${'t'.repeat(20)}, token_file: /x }`)).toEqual(
      ['status_page.token_file: set token or token_file, not both'],
    );
    expect(problems(`${valid}\nstatus_page: { bind: 0.0.0.0 }`)).toEqual([
      'status_page.bind: bind needs a port: set status_page.port for a listener of its own',
    ]);
    expect(problems(`${valid}\nstatus_page: { link_ttl_minutes: 0 }`)).toEqual([
      'status_page.link_ttl_minutes: must be more than 0',
    ]);
    expect(problems(`${valid}\nstatus_page: { url: ftp://x }`)).toEqual([
      'status_page.url: must be an http or https URL',
    ]);
    expect(problems(`${valid}\nstatus_page: { prot: 1 }`)[0]).toMatch(
      /^status_page: unknown key "prot"/,
    );
  });
});
