import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { buildRegistration } from './registration.js';

const config = configSchema.parse({
  homeserver: { url: 'http://127.0.0.1:8008', domain: 'example.org' },
  appservice: { url: 'http://127.0.0.1:29380', as_token: 'a'.repeat(32), hs_token: 'h'.repeat(32) },
  bridges: { echo: {}, irc: { prefix: 'irc.' }, off: { enabled: false } },
});

describe('registration', () => {
  it('has every key the homeserver needs', () => {
    const reg = buildRegistration(config);
    expect(reg).toMatchObject({
      id: 'switchboard',
      url: 'http://127.0.0.1:29380',
      as_token: 'a'.repeat(32),
      hs_token: 'h'.repeat(32),
      sender_localpart: 'switchboard',
      rate_limited: false,
      receive_ephemeral: true,
      'de.sorunome.msc2409.push_ephemeral': true,
      protocols: ['echo', 'irc'],
    });
  });

  it('claims exclusive namespaces for each enabled bridge, with the prefix escaped', () => {
    const { namespaces } = buildRegistration(config) as {
      namespaces: { users: { regex: string; exclusive: boolean }[]; aliases: { regex: string }[] };
    };
    expect(namespaces.users.map((n) => n.regex)).toEqual([
      '@switchboard:example\\.org',
      '@echo_.*:example\\.org',
      '@irc\\..*:example\\.org',
    ]);
    expect(namespaces.users.every((n) => n.exclusive)).toBe(true);
    expect(namespaces.aliases.map((n) => n.regex)).toEqual([
      '#echo_.*:example\\.org',
      '#irc\\..*:example\\.org',
    ]);
    const ghost = new RegExp(`^${namespaces.users[2]!.regex}$`);
    expect(ghost.test('@irc.alice:example.org')).toBe(true);
    expect(ghost.test('@ircxalice:example.org')).toBe(false);
  });
});
