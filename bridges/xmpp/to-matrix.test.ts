import { describe, expect, it } from 'vitest';
import { portalKey, remoteUserId } from '../../src/connector.js';
import { ReactionSets } from './reactions.js';
import { boundedBody, eventsOf, MAX_BODY_BYTES } from './to-matrix.js';

const kv = () => {
  const m = new Map<string, unknown>();
  return {
    get: async <T>(k: string) => m.get(k) as T | undefined,
    set: async <T>(k: string, v: T) => void m.set(k, v),
    delete: async (k: string) => void m.delete(k),
  };
};
const heard = {
  portal: portalKey('muc/r@c.x'),
  sender: remoteUserId('r@c.x/A'),
  id: 's1',
  ref: (id: string) => `sid:${id}`,
};

describe('XMPP messages as remote events', () => {
  it('cuts a body too long for Matrix, and says so', () => {
    const long = 'é'.repeat(MAX_BODY_BYTES);
    const cut = boundedBody(long);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(MAX_BODY_BYTES);
    expect(cut.endsWith('too long for Matrix]')).toBe(true);
    expect(boundedBody('short')).toBe('short');
  });

  it('a correction is an edit of the referenced message; a chat state alone is typing', async () => {
    const sets = new ReactionSets(kv());
    const [edit] = await eventsOf(
      { type: 'groupchat', from: '', to: '', stanzaIds: [], body: 'fixed', replaces: 'm0' },
      heard,
      sets,
    );
    expect(edit).toMatchObject({ kind: 'edit', target: 'sid:m0', content: { text: 'fixed' } });
    const [typing] = await eventsOf(
      { type: 'groupchat', from: '', to: '', stanzaIds: [], chatState: 'composing' },
      heard,
      sets,
    );
    expect(typing).toMatchObject({ kind: 'typing', typing: true });
  });
});
