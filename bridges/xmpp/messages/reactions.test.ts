import { describe, expect, it } from 'vitest';
import { parseReactionId, reactionId, ReactionSets } from './reactions.js';

const memoryKv = () => {
  const m = new Map<string, unknown>();
  return {
    get: async <T>(k: string) => m.get(k) as T | undefined,
    set: async <T>(k: string, v: T) => void m.set(k, v),
    delete: async (k: string) => void m.delete(k),
  };
};

describe('per-user reaction sets (XEP-0444)', () => {
  it('turns a new whole set into added and removed keys', async () => {
    const sets = new ReactionSets(memoryKv());
    expect(await sets.replace('p', 'm', 'u', ['👍', '🎉'])).toEqual({
      added: ['👍', '🎉'],
      removed: [],
    });
    expect(await sets.replace('p', 'm', 'u', ['🎉', '👀'])).toEqual({
      added: ['👀'],
      removed: ['👍'],
    });
    expect(await sets.replace('p', 'm', 'v', ['👍'])).toEqual({ added: ['👍'], removed: [] });
    expect(await sets.replace('p', 'm', 'u', [])).toEqual({ added: [], removed: ['🎉', '👀'] });
  });

  it('toggles one key of a Matrix user and answers the new set', async () => {
    const sets = new ReactionSets(memoryKv());
    expect(await sets.toggle('p', 'm', '@a:x', '❤️', true)).toEqual(['❤️']);
    expect(await sets.toggle('p', 'm', '@a:x', '❤️', true)).toBeUndefined();
    expect(await sets.toggle('p', 'm', '@a:x', '👀', true)).toEqual(['❤️', '👀']);
    expect(await sets.toggle('p', 'm', '@a:x', '❤️', false)).toEqual(['👀']);
  });

  it('reaction ids round-trip whatever the ids hold', () => {
    const id = reactionId('s:1/"x"', '@a:x', '👍');
    expect(parseReactionId(id)).toEqual({ target: 's:1/"x"', user: '@a:x', key: '👍' });
    expect(parseReactionId('reaction:nope')).toBeUndefined();
    expect(parseReactionId('m1')).toBeUndefined();
  });
});
