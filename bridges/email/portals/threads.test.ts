import { describe, expect, it } from 'vitest';
import { portalKey, type KeyValueStore } from '../../../src/connector.js';
import { baseSubject, replySubject, Threads } from './threads.js';

const memoryKv = (): KeyValueStore => {
  const m = new Map<string, unknown>();
  return {
    get: async <T>(k: string) => m.get(k) as T | undefined,
    set: async (k, v) => void m.set(k, structuredClone(v)),
    delete: async (k) => void m.delete(k),
  };
};
const P = portalKey('box/INBOX');

describe('Threads', () => {
  it('a mail joins the thread of the latest message it names, else one of a Re: subject, else starts one', async () => {
    const threads = new Threads(memoryKv());
    expect(await threads.find(P, { references: [], subject: 'Hello' })).toBeUndefined();
    const root = await threads.add(P, undefined, {
      id: '<1@x>',
      subject: 'Hello',
      participants: ['bob@x'],
    });
    expect(root).toEqual({
      root: '<1@x>',
      subject: 'Hello',
      participants: ['bob@x'],
      references: ['<1@x>'],
    });

    const byRef = await threads.find(P, {
      references: ['<unknown@x>', '<1@x>'],
      subject: 'whatever',
    });
    expect(byRef?.root).toBe('<1@x>');
    await threads.add(P, byRef, {
      id: '<2@x>',
      subject: 'Re: Hello',
      participants: ['carol@x', 'bob@x'],
    });

    expect((await threads.find(P, { references: [], subject: 'AW: Re: hello' }))?.root).toBe(
      '<1@x>',
    );
    expect(
      await threads.find(P, { references: [], subject: 'Hello' }),
      'not a reply',
    ).toBeUndefined();
    expect(await threads.get(P, '<1@x>')).toMatchObject({
      participants: ['bob@x', 'carol@x'],
      references: ['<1@x>', '<2@x>'],
    });
    expect(await threads.rootOf(P, '<2@x>')).toBe('<1@x>');
  });

  it('keeps the root and the latest References, bounded', async () => {
    const threads = new Threads(memoryKv());
    let t = await threads.add(P, undefined, { id: '<0@x>', subject: 's', participants: [] });
    for (let i = 1; i < 40; i++)
      t = await threads.add(P, t, { id: `<${i}@x>`, subject: 's', participants: [] });
    expect(t.references).toHaveLength(20);
    expect(t.references[0]).toBe('<0@x>');
    expect(t.references.at(-1)).toBe('<39@x>');
  });

  it('forget takes back a message that was not sent', async () => {
    const threads = new Threads(memoryKv());
    const t = await threads.add(P, undefined, { id: '<1@x>', subject: 's', participants: ['a@x'] });
    await threads.add(P, t, { id: '<2@x>', subject: 's', participants: ['b@x'] });
    await threads.forget(P, '<2@x>', t);
    expect(await threads.rootOf(P, '<2@x>')).toBeUndefined();
    expect(await threads.get(P, '<1@x>')).toEqual(t);
    await threads.add(P, undefined, { id: '<9@x>', subject: 'new', participants: [] });
    await threads.forget(P, '<9@x>', undefined);
    expect(await threads.get(P, '<9@x>')).toBeUndefined();
  });

  it('subjects', () => {
    expect(baseSubject('Re: RE: Fwd: [2] x')).toBe('[2] x');
    expect(baseSubject('Re[3]: x')).toBe('x');
    expect(replySubject('x')).toBe('Re: x');
    expect(replySubject('RE: x')).toBe('RE: x');
  });
});
