import { describe, expect, it } from 'vitest';
import { renderContent, splitContent } from './message-text.js';

describe('Matrix content for Discord', () => {
  const deps = { ghostRemoteId: (u: string) => /^@discord_(\d+):/.exec(u)?.[1] as never };

  it('escapes plain text and makes emotes italic', () => {
    expect(renderContent(deps, { kind: 'text', text: 'a *b* @everyone' })).toEqual({
      text: 'a \\*b\\* \\@everyone',
      users: [],
    });
    expect(renderContent(deps, { kind: 'emote', text: 'waves' }).text).toBe('*waves*');
  });

  it('cuts long texts at lines or spaces, never inside a surrogate pair', () => {
    const parts = splitContent(`${'a'.repeat(1500)}\n${'b'.repeat(1000)}`);
    expect(parts).toEqual(['a'.repeat(1500), 'b'.repeat(1000)]);
    const emoji = splitContent('😀'.repeat(1500));
    expect(emoji.every((p) => p.length <= 2000 && !/^[\uDC00-\uDFFF]/.test(p))).toBe(true);
    expect(emoji.join('')).toBe('😀'.repeat(1500));
  });
});
