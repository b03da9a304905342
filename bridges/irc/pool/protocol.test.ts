import { describe, expect, it } from 'vitest';
import { commandOf } from './held-connection.js';
import { decodeEntry, encodeEntry, POOL_PROTOCOL_VERSION, type PoolCommand } from './protocol.js';

describe('pool protocol', () => {
  it('round-trips an entry', () => {
    const command: PoolCommand = {
      type: 'send',
      conn: 'net/bot',
      data: { line: 'PRIVMSG #a :hi' },
    };
    expect(decodeEntry(encodeEntry(command))).toEqual({ ok: true, message: command });
  });

  it('refuses another protocol version, saying what to do', () => {
    const fields = encodeEntry({ type: 'quit', conn: 'x', data: { message: '' } });
    fields[1] = String(POOL_PROTOCOL_VERSION + 1);
    const decoded = decodeEntry(fields);
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.reason).toMatch(/same release/);
  });

  it('refuses malformed entries', () => {
    expect(decodeEntry(['v', String(POOL_PROTOCOL_VERSION), 'type', 'send']).ok).toBe(false);
    expect(
      decodeEntry(['v', String(POOL_PROTOCOL_VERSION), 'type', 'x', 'conn', 'c', 'data', '{']).ok,
    ).toBe(false);
  });

  it('finds the command of a raw line past tags and prefix', () => {
    expect(commandOf('@time=x :a!b@c PRIVMSG #x :hi')).toBe('PRIVMSG');
    expect(commandOf(':irc.test 001 nick :Welcome')).toBe('001');
    expect(commandOf('PING :123')).toBe('PING');
  });
});
