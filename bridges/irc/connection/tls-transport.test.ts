// The transport's line filter (`keepLine`): a puppet's connection hands irc-framework only the lines it keeps.
import { describe, expect, it } from 'vitest';
import { CaTlsTransport } from './tls-transport.js';

const heard = (t: CaTlsTransport) => {
  const lines: string[] = [];
  (t as unknown as { on(e: string, f: (l: string) => void): void }).on('line', (l) =>
    lines.push(l),
  );
  return lines;
};

describe('CaTlsTransport keepLine', () => {
  it('hands on only the lines keepLine keeps, and every other event as it is', () => {
    const t = new CaTlsTransport({ host: 'irc.test', keepLine: (l) => !l.includes('#chan') });
    const lines = heard(t);
    let opened = 0;
    (t as unknown as { on(e: string, f: () => void): void }).on('open', () => opened++);
    t.emit('line', ':dan!d@h PRIVMSG alice :hi');
    t.emit('line', ':dan!d@h PRIVMSG #chan :hello all');
    t.emit('open');
    expect(lines).toEqual([':dan!d@h PRIVMSG alice :hi']);
    expect(opened).toBe(1);
  });

  it('hands on every line without keepLine (the bot)', () => {
    const t = new CaTlsTransport({ host: 'irc.test' });
    const lines = heard(t);
    t.emit('line', ':dan!d@h PRIVMSG #chan :hello all');
    expect(lines).toHaveLength(1);
  });
});
