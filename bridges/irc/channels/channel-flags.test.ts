import { describe, expect, it } from 'vitest';
import { ChannelFlags } from './channel-flags.js';

const m = (mode: string, param?: string) => ({ mode, ...(param ? { param } : {}) });

describe('ChannelFlags', () => {
  it('learns a channel from its 324, then follows MODE lines that hide or show it', async () => {
    const flags = new ChannelFlags();
    expect(flags.changed('#a', [m('+i')])).toBeUndefined(); // not known before its 324
    expect(flags.learned('#A', [m('+n'), m('+t')])).toBe(false);
    expect(flags.changed('#a', [m('+m')])).toBeUndefined(); // +m hides nothing
    expect(flags.changed('#a', [m('+s'), m('+o', 'alice')])).toBe(true);
    expect(flags.changed('#a', [m('+i')])).toBeUndefined(); // still hidden
    expect(flags.changed('#a', [m('-s')])).toBeUndefined(); // +i still hides it
    expect(flags.changed('#a', [m('-i')])).toBe(false);
    expect(await flags.isHidden('#a', true)).toBe(false);
  });

  it('counts a JOIN refused as invite-only as +i, and forgets on the next join', async () => {
    const flags = new ChannelFlags();
    flags.refusedAsInviteOnly('#B');
    expect(await flags.isHidden('#b', false)).toBe(true);
    flags.forget('#b');
    expect(await flags.isHidden('#b', false)).toBe(false); // the bot is not in it: no wait
  });

  it('waits for the 324 while the bot is in the channel', async () => {
    const flags = new ChannelFlags();
    const hidden = flags.isHidden('#c', true, 60_000);
    flags.learned('#c', [m('+p')]);
    expect(await hidden).toBe(true);
  });
});
