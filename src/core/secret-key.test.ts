import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Sealer, SecretKey, secretKeyFile } from './secret-key.js';

const dir = () => mkdtempSync(join(tmpdir(), 'sb-key-'));

describe('SecretKey', () => {
  it('makes the key file on first use, private, and reads the same key back later', () => {
    const file = join(dir(), 'switchboard.key');
    const first = new SecretKey(file).derive('bridge:irc');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(new SecretKey(file).derive('bridge:irc')).toEqual(first);
  });

  it('derives a different key for each purpose', () => {
    const key = new SecretKey(join(dir(), 'k'));
    expect(key.derive('public-links')).not.toEqual(key.derive('bridge:irc'));
  });

  it('refuses a key file that is not 64 hex digits, naming the file', () => {
    const file = join(dir(), 'bad.key');
    writeFileSync(file, 'not a key\n');
    expect(() => new SecretKey(file).derive('x')).toThrow(/bad\.key must hold 64 hex digits/);
  });

  it('sits beside an SQLite database unless configured', () => {
    expect(secretKeyFile({ database: '/var/lib/sb/switchboard.db' })).toBe(
      '/var/lib/sb/switchboard.key',
    );
    expect(secretKeyFile({ database: 'sqlite:///var/lib/sb/state.db' })).toBe(
      '/var/lib/sb/switchboard.key',
    );
    expect(secretKeyFile({ database: 'postgres://u@h/db' })).toBe('switchboard.key');
    expect(secretKeyFile({ database: ':memory:' })).toBe('switchboard.key');
    expect(secretKeyFile({ database: 'x.db', secret_key_file: '/etc/sb.key' })).toBe('/etc/sb.key');
  });
});

describe('Sealer', () => {
  const file = join(dir(), 'k');
  const sealer = (purpose: string) => new Sealer(() => new SecretKey(file).derive(purpose));

  it('round-trips a secret without keeping it readable', () => {
    const sealed = sealer('bridge:irc').seal('hunter2 ünïcode');
    expect(sealed).not.toContain('hunter2');
    expect(sealer('bridge:irc').unseal(sealed)).toBe('hunter2 ünïcode');
    expect(readFileSync(file, 'utf8')).not.toContain('hunter2');
  });

  it('refuses a value sealed for another bridge or changed on the way', () => {
    const sealed = sealer('bridge:irc').seal('pw');
    expect(() => sealer('bridge:xmpp').unseal(sealed)).toThrow(/could not be opened/);
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(() => sealer('bridge:irc').unseal(tampered)).toThrow(/could not be opened/);
    expect(() => sealer('bridge:irc').unseal('plain')).toThrow(/not a sealed secret/);
  });
});
