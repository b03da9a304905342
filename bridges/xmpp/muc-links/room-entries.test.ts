import { describe, expect, it } from 'vitest';
import { xmppConfigSchema } from '../config.js';

const SECRET = 'hunter2-room-password';
const parse = (rooms: unknown[], more: Record<string, unknown> = {}) =>
  xmppConfigSchema.safeParse({ domain: 'matrix.example.org', secret: 's', rooms, ...more });
const errors = (rooms: unknown[], more: Record<string, unknown> = {}) => {
  const r = parse(rooms, more);
  return r.success ? '' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
};

describe('MUCs listed in the XMPP config (bridges.xmpp.rooms)', () => {
  it('takes bare addresses and entries with a room and a password, addresses as the alias gives them', () => {
    const r = parse([
      'Dev@Conference.Example.org',
      { muc: 'ops@conference.example.org', room: '!abc:example.org', password: SECRET },
      { muc: 'v12@conference.example.org', room: '!v12room' },
    ]);
    expect(r.success).toBe(true);
    expect(r.data?.rooms).toEqual([
      { muc: 'dev@conference.example.org' },
      { muc: 'ops@conference.example.org', room: '!abc:example.org', password: SECRET },
      { muc: 'v12@conference.example.org', room: '!v12room' },
    ]);
    expect(parse([]).data?.rooms).toEqual([]);
    expect(
      xmppConfigSchema.safeParse({ domain: 'matrix.example.org', secret: 's' }).data?.rooms,
    ).toEqual([]);
  });

  it('refuses what is not a room’s bare address, naming the key and the fix', () => {
    expect(errors(['not an address@x y'])).toBe(
      'rooms.0: must be a MUC address like dev@conference.example.org (`not an address@x y` is not a valid XMPP address)',
    );
    expect(errors([{ muc: 'conference.example.org' }])).toBe(
      'rooms.0.muc: must name a room on a MUC service, like dev@conference.example.org (`conference.example.org` is a server)',
    );
    expect(errors(['dev@conference.example.org/Nick'])).toBe(
      "rooms.0: must be the room's bare address, without a nick or resource: dev@conference.example.org",
    );
    expect(errors([42])).toMatch(/^rooms\.0: must be a MUC address like 'dev@/);
    expect(errors([{ muc: 'a@b.org', nick: 'x' }])).toBe('rooms.0: Unrecognized key: "nick"');
  });

  it('refuses a room alias or another string as the Matrix room', () => {
    expect(errors([{ muc: 'a@b.org', room: '#dev:example.org' }])).toBe(
      "rooms.0.room: must be a room id like !abc:example.org, not an alias (the room's settings show its id)",
    );
    expect(errors([{ muc: 'a@b.org', room: 'abc:example.org' }])).toBe(
      'rooms.0.room: must be a room id like !abc:example.org (or !abc in room version 12)',
    );
  });

  it('refuses a password with control characters, never showing it', () => {
    for (const password of [`${SECRET}\n`, `tab\t${SECRET}`, '', 'x'.repeat(1025)]) {
      const text = errors([{ muc: 'a@b.org', password }]);
      expect(text).toBe(
        'rooms.0.password: must be the room password: 1 to 1024 characters without control characters (no line breaks or tabs)',
      );
      expect(text).not.toContain(SECRET);
    }
  });

  it('refuses a MUC listed twice and a room on the component’s own domain', () => {
    expect(errors(['dev@conference.example.org', { muc: 'DEV@conference.example.org' }])).toBe(
      'rooms.1: lists dev@conference.example.org a second time: keep one entry per MUC',
    );
    expect(errors(['room@matrix.example.org'])).toBe(
      'rooms.0: must be a MUC of the XMPP server, not a Matrix room on the component (matrix.example.org)',
    );
  });

  it('refuses a MUC on a service muc_hosts leaves out (its alias would not find it)', () => {
    const hosts = { muc_hosts: ['conference.example.org'] };
    expect(errors(['dev@conference.example.org'], hosts)).toBe('');
    expect(errors(['dev@muc.elsewhere.org'], hosts)).toBe(
      'rooms.0: is on muc.elsewhere.org, which muc_hosts leaves out: add muc.elsewhere.org to muc_hosts, or take the entry out',
    );
  });
});
