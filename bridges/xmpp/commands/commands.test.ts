import { describe, expect, it } from 'vitest';
import type { CommandContext, MatrixUserId, PortalRecord } from '../../../src/connector.js';
import { linkRefusal, mucRefusal } from '../config.js';
import { xmppCommands } from './commands.js';

const config = {
  domain: 'matrix.example.org',
  muc_hosts: ['conference.example.org'],
  rooms: [{ muc: 'locked@conference.example.org', password: 'from the config' }],
};

function run(name: string, args: string[]) {
  const opened: string[] = [];
  const portal = (key: string) => ({ key, roomId: '!r:example.org' }) as unknown as PortalRecord;
  const [command] = xmppCommands({
    domain: () => config.domain,
    mucRefused: async (room) => mucRefusal(config, room),
    openMuc: async (room) => (opened.push(room), portal(room)),
    mucAlias: (room) => `#xmpp_${room}:example.org`,
    openChat: async (contact) => (opened.push(contact), portal(contact)),
  }).filter((c) => c.name === name);
  const replies: string[] = [];
  const ctx: CommandContext = {
    sender: '@nia:example.org' as MatrixUserId,
    args,
    isAdmin: false,
    reply: async (text) => replies.push(text),
  };
  return command!.run(ctx).then(() => ({ replies, opened }));
}

describe('xmpp commands', () => {
  it('bridges only MUCs on the services the config allows', async () => {
    const { replies, opened } = await run('join', ['room@elsewhere.org']);
    expect(replies).toEqual(['This bridge joins group chats on conference.example.org only.']);
    expect(opened).toEqual([]);
    expect((await run('join', ['room@conference.example.org'])).opened).toEqual([
      'room@conference.example.org',
    ]);
  });

  it('opens a chat with a bare address, lowercased as XMPP servers compare them', async () => {
    expect((await run('chat', ['Alice@Example.org'])).opened).toEqual(['alice@example.org']);
  });

  it('answers with the usage when the arguments are not one address', async () => {
    expect((await run('join', [])).replies).toEqual(['Usage: `xmpp join <room@service>`']);
    expect((await run('chat', ['a@b.org', 'c@d.org'])).replies).toEqual([
      'Usage: `xmpp chat <user@server>`',
    ]);
  });
});

describe('what a room may be linked to', () => {
  it('a MUC on an allowed service, nothing else', () => {
    expect(linkRefusal(config, 'muc/room@conference.example.org')).toBeUndefined();
    expect(linkRefusal(config, 'muc/room@elsewhere.org')).toBe(
      'This bridge joins group chats on conference.example.org only.',
    );
    expect(linkRefusal(config, 'dm/alice@example.org/@nia:example.org')).toMatch(
      /^an XMPP room to link is muc\/<room@service>/,
    );
    expect(linkRefusal(config, 'muc/not a jid')).toMatch(/^an XMPP room to link is/);
  });

  it('with a password: one a join can carry, for a MUC the config gives none', () => {
    expect(linkRefusal(config, 'muc/room@conference.example.org', 'open sesame')).toBeUndefined();
    const bad = linkRefusal(config, 'muc/room@conference.example.org', 'two\nlines');
    expect(bad).toMatch(/^the option "password" must be the room password: 1 to 1024 characters/);
    expect(bad).not.toContain('two');
    expect(linkRefusal(config, 'muc/room@conference.example.org', '')).toMatch(/1 to 1024/);
    expect(linkRefusal(config, 'muc/locked@conference.example.org', 'another')).toBe(
      'bridges.xmpp.rooms gives locked@conference.example.org its password: change it there, not with the link',
    );
    // A link without a password to that MUC is fine: the config's password is used.
    expect(linkRefusal(config, 'muc/locked@conference.example.org')).toBeUndefined();
  });
});
