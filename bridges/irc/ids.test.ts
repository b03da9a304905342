import { describe, expect, it } from 'vitest';
import {
  aliasLocalpart,
  makePmKey,
  makePortalKey,
  makeRemoteUser,
  parseAliasLocalpart,
  parsePmKey,
  parsePortalKey,
  parseRemoteUser,
} from './ids.js';

describe('IRC ids', () => {
  it('makes and parses portal keys, lowercasing the channel', () => {
    expect(makePortalKey('libera', '#Rust')).toBe('libera/#rust');
    expect(parsePortalKey('libera/#rust')).toEqual({ network: 'libera', channel: '#rust' });
    expect(parsePortalKey('libera/rust')).toBeUndefined();
    expect(parsePortalKey('/#rust')).toBeUndefined();
    expect(parsePortalKey('libera/#a b')).toBeUndefined();
  });

  it('makes and parses remote users: <network>_<lowercased nick>', () => {
    expect(makeRemoteUser('libera', 'Alice[m]')).toBe('libera_alice[m]');
    expect(parseRemoteUser('libera_alice_')).toEqual({ network: 'libera', nick: 'alice_' });
    expect(parseRemoteUser('libera_')).toBeUndefined();
    expect(parseRemoteUser('nounderscore')).toBeUndefined();
  });

  it('maps alias localparts to channels and back', () => {
    expect(aliasLocalpart('libera', '#Rust')).toBe('libera_#rust');
    expect(parseAliasLocalpart('libera_#Rust')).toEqual({ network: 'libera', channel: '#rust' });
    expect(parseAliasLocalpart('libera_&local')).toEqual({ network: 'libera', channel: '&local' });
    expect(parseAliasLocalpart('libera_rust')).toBeUndefined();
    expect(parseAliasLocalpart('Libera_#rust')).toBeUndefined();
    expect(parseAliasLocalpart('libera_#')).toBeUndefined();
  });

  it('makes and parses private-conversation keys, which are never channel keys', () => {
    const key = makePmKey('libera', 'Bob[away]', '@alice:example.org');
    expect(key).toBe('libera/pm/bob[away]/@alice:example.org');
    expect(parsePmKey(key)).toEqual({
      network: 'libera',
      nick: 'bob[away]',
      owner: '@alice:example.org',
    });
    expect(parsePortalKey(key)).toBeUndefined();
    expect(parsePmKey('libera/#rust')).toBeUndefined();
    expect(parsePmKey('libera/pm/bob/alice')).toBeUndefined();
  });
});
