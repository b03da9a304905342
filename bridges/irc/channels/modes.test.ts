import { describe, expect, it } from 'vitest';
import { levelOf } from './channel-config.js';
import { ChannelModes } from './modes.js';

describe('ChannelModes', () => {
  it('takes every prefix of NAMES (multi-prefix) and follows MODE changes', () => {
    const modes = new ChannelModes();
    modes.setNames('#Chan', [
      { nick: 'Op', modes: ['o', 'v'] },
      { nick: 'plain', modes: [] },
    ]);
    expect([...modes.modesOf('#chan', 'op')]).toEqual(['o', 'v']);
    expect(modes.holders('#chan')).toEqual(['op']);
    expect(
      modes.apply('#CHAN', [
        { mode: '-o', param: 'Op' },
        { mode: '+h', param: 'plain' },
        { mode: '+k', param: 'secret' },
        { mode: '+b', param: 'x!*@*' },
        { mode: '+t' },
      ]),
    ).toEqual(['op', 'plain']);
    expect([...modes.modesOf('#chan', 'op')]).toEqual(['v']);
    expect([...modes.modesOf('#chan', 'plain')]).toEqual(['h']);
  });

  it('uses the server prefix modes when known, and forgets users who leave or the channel', () => {
    const modes = new ChannelModes(() => ['o', 'v']);
    expect(modes.apply('#c', [{ mode: '+h', param: 'a' }])).toEqual([]);
    modes.apply('#c', [{ mode: '+o', param: 'a' }]);
    modes.rename('#c', 'a', 'B');
    expect([...modes.modesOf('#c', 'b')]).toEqual(['o']);
    modes.remove('#c', 'b');
    expect(modes.holders('#c')).toEqual([]);
    modes.apply('#c', [{ mode: '+v', param: 'c' }]);
    modes.forget('#C');
    expect(modes.holders('#c')).toEqual([]);
  });
});

describe('levelOf', () => {
  it('is the highest level of the modes, over the defaults', () => {
    expect(levelOf(['v'], undefined)).toBe(0);
    expect(levelOf(['o', 'v'], undefined)).toBe(50);
    expect(levelOf(['h'], undefined)).toBe(25);
    expect(levelOf(['v', 'h'], { v: 10, o: 75 })).toBe(25);
    expect(levelOf(['o'], { o: 75 })).toBe(75);
    expect(levelOf(['o'], { o: 0 })).toBe(0);
    expect(levelOf([], undefined)).toBe(0);
  });
});
