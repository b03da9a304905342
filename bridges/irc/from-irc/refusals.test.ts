import { describe, expect, it } from 'vitest';
import { parseRefusedRef, RefusalNotices, refusedRef } from './refusals.js';

const refused = {
  delivered: false as const,
  errcode: 'M_FORBIDDEN',
  reason: 'the Matrix room does not let you send that (M_FORBIDDEN)',
};

function notices() {
  let now = 1_000_000;
  const lines: string[] = [];
  const n = new RefusalNotices(
    (_network, line) => lines.push(line),
    () => now,
  );
  const ref = (nick: string, channel?: string) =>
    parseRefusedRef(refusedRef('net', nick, channel))!;
  return { n, lines, ref, later: (ms: number) => (now += ms) };
}

describe('IRC refusal notices', () => {
  it('tells the sender where and why, without their text', () => {
    const { n, lines, ref } = notices();
    n.refused(ref('bob', '#chan'), refused);
    n.refused(ref('carol'), refused);
    expect(lines).toEqual([
      'NOTICE bob :Your message to #chan was not delivered to Matrix: the Matrix room does not let you send that (M_FORBIDDEN).',
      'NOTICE carol :Your message (a private message) was not delivered to Matrix: the Matrix room does not let you send that (M_FORBIDDEN).',
    ]);
  });

  it('sends one per nick a minute, then counts what was refused meanwhile', () => {
    const { n, lines, ref, later } = notices();
    for (let i = 0; i < 5; i++) n.refused(ref('bob', '#chan'), refused);
    expect(lines).toHaveLength(1);
    later(60_000);
    n.refused(ref('Bob', '#chan'), refused);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('(and 4 more since the last notice)');
  });

  it('sends at most ten a minute on a network, however many nicks', () => {
    const { n, lines, ref, later } = notices();
    for (let i = 0; i < 30; i++) n.refused(ref(`bot${i}`, '#chan'), refused);
    expect(lines).toHaveLength(10);
    later(60_000);
    n.refused(ref('bot29', '#chan'), refused);
    expect(lines).toHaveLength(11);
    expect(lines[10]).toContain('(and 1 more since the last notice)');
  });

  it('ignores refs it did not write', () => {
    expect(parseRefusedRef('{"t":"bounce"}')).toBeUndefined();
    expect(parseRefusedRef('nope')).toBeUndefined();
  });
});
