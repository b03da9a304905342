import { describe, expect, it } from 'vitest';
import {
  aliasLocalpart,
  dmPortal,
  escapeNode,
  jidMatrixUser,
  matrixUserJid,
  mucPortal,
  mucPrivatePortal,
  parseAliasLocalpart,
  parsePortal,
  safeJid,
  unescapeNode,
} from './ids.js';

describe('XMPP ids', () => {
  it('escapes Matrix users into component addresses by XEP-0106, reversibly', () => {
    expect(matrixUserJid('@alice:example.org', 'matrix.example.org')).toBe(
      'alice\\3aexample.org@matrix.example.org',
    );
    expect(jidMatrixUser('alice\\3aexample.org@matrix.example.org/res', 'matrix.example.org')).toBe(
      '@alice:example.org',
    );
    expect(jidMatrixUser('alice\\3aexample.org@other.org', 'matrix.example.org')).toBeUndefined();
    expect(matrixUserJid('@Alice:example.org', 'm.x')).toBeUndefined(); // JIDs ignore case
    expect(matrixUserJid('@a/b:example.org:8448', 'm.x')).toBe('a\\2fb\\3aexample.org\\3a8448@m.x');
    for (const s of ['a b"c&d\'e/f:g<h>i@j\\k', '\\40', 'x\\5cy'])
      expect(unescapeNode(escapeNode(s))).toBe(s);
  });

  it('validates addresses', () => {
    expect(safeJid('Alice@Example.org/Res')?.toString()).toBe('alice@example.org/Res');
    expect(safeJid('a@exa mple.org')).toBeUndefined();
    expect(safeJid('a@x.org/\u0000')).toBeUndefined();
    expect(safeJid('a\n@x.org')).toBeUndefined();
    expect(safeJid('')).toBeUndefined();
  });

  it('MUC aliases: the room JID =hh-escaped', () => {
    expect(aliasLocalpart('room@conference.example.org')).toBe('room=40conference.example.org');
    expect(parseAliasLocalpart('room=40conference.example.org')).toBe(
      'room@conference.example.org',
    );
    expect(parseAliasLocalpart('conference.example.org')).toBeUndefined(); // no room
    expect(parseAliasLocalpart('a=40b.org/nick')).toBeUndefined(); // an occupant, not a room
    expect(parseAliasLocalpart('a=4')).toBeUndefined();
  });

  it('portal keys round-trip', () => {
    expect(parsePortal(mucPortal('r@c.org'))).toEqual({ kind: 'muc', room: 'r@c.org' });
    expect(parsePortal(dmPortal('a@x.org', '@b:y.org'))).toEqual({
      kind: 'dm',
      contact: 'a@x.org',
      owner: '@b:y.org',
    });
    expect(parsePortal('muc/R@c.org')).toBeUndefined();
    expect(parsePortal('dm/a@x.org/bob')).toBeUndefined();
  });

  it('private chats through a MUC: the room, the Matrix user and any nick (with / and @)', () => {
    for (const [owner, nick] of [
      ['@b:y.org', 'Carl'],
      ['@a/b:y.org:8448', 'x/y @z:w'],
    ] as const)
      expect(parsePortal(mucPrivatePortal('r@c.org', owner, nick))).toEqual({
        kind: 'private',
        room: 'r@c.org',
        owner,
        nick,
      });
    expect(parsePortal('pm/r@c.org/@b:y.org/')).toBeUndefined(); // no nick
    expect(parsePortal('pm/c.org/@b:y.org/Carl')).toBeUndefined(); // not a room
    expect(parsePortal('pm/r@c.org/@B:y.org/Carl')).toBeUndefined(); // no address for @B
    expect(parsePortal('pm/r@c.org/@b:y.org/Ca\u0000rl')).toBeUndefined();
  });
});
