import { describe, expect, it } from 'vitest';
import { ircConfigSchema } from '../config.js';

const parse = (network: Record<string, unknown>) =>
  ircConfigSchema.safeParse({ networks: { n: { host: 'x', ...network } } });
const errors = (network: Record<string, unknown>) => {
  const r = parse(network);
  return r.success ? '' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
};

describe('IRC channel entries and power levels in the config', () => {
  it('takes plain and keyed channels: names stay in channels, keys go to channel_keys', () => {
    const r = parse({ channels: ['#open', { name: '#Locked', key: 's3cret' }] });
    expect(r.success).toBe(true);
    expect(r.data?.networks.n?.channels).toEqual(['#open', '#Locked']);
    expect(r.data?.networks.n?.channel_keys).toEqual({ '#locked': 's3cret' });
    expect(parse({ channels: ['#open'] }).data?.networks.n).not.toHaveProperty('channel_keys');
  });

  it('maps channels to existing rooms by room id: channel_rooms, by lowercased name', () => {
    const r = parse({
      channels: [
        { name: '#Rust', room: '!abc:example.org' },
        { name: '#both', key: 'k', room: '!v12room' },
      ],
    });
    expect(r.data?.networks.n?.channels).toEqual(['#Rust', '#both']);
    expect(r.data?.networks.n?.channel_rooms).toEqual({
      '#rust': '!abc:example.org',
      '#both': '!v12room',
    });
    expect(r.data?.networks.n?.channel_keys).toEqual({ '#both': 'k' });
    expect(parse({ channels: ['#open'] }).data?.networks.n).not.toHaveProperty('channel_rooms');
    for (const room of ['#alias:example.org', 'abc:example.org', '!has space:x', ''])
      expect(errors({ channels: [{ name: '#c', room }] })).toBe(
        "networks.n.channels.0.room: must be a room id like !abc:example.org (not an alias: see the room's settings)",
      );
  });

  it('refuses keys that would break the JOIN line, naming the key', () => {
    for (const key of ['two words', 'a,b', 'cr\r', 'lf\n', 'nul\0', ''])
      expect(errors({ channels: [{ name: '#c', key }] })).toMatch(
        /^networks\.n\.channels\.0\.key: must be a channel key: .*without spaces, commas, CR, LF or NUL/,
      );
    expect(errors({ channels: [{ name: 'c', key: 'k' }] })).toBe(
      'networks.n.channels.0.name: must be channel names like #rust',
    );
    expect(errors({ channels: ['rust'] })).toBe(
      'networks.n.channels.0: must be channel names like #rust',
    );
    expect(errors({ channels: [{ name: '#c', key: 'k', extra: 1 }] })).toContain(
      'networks.n.channels.0',
    );
  });

  it('takes power_levels by mode letter below 100', () => {
    expect(parse({ power_levels: { o: 75, v: 10 } }).data?.networks.n?.power_levels).toEqual({
      o: 75,
      v: 10,
    });
    expect(errors({ power_levels: { o: 100 } })).toBe(
      "networks.n.power_levels.o: must be below 100 (the bridge bot's own level)",
    );
    expect(errors({ power_levels: { op: 50 } })).toContain('networks.n.power_levels');
  });
});
