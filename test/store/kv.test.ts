import { expect, it } from 'vitest';
import { describeStore } from './dialects.js';

describeStore('kv', (store) => {
  it('sets, overwrites and deletes, each namespace apart', async () => {
    expect(await store().kv.get('core', 'k')).toBeUndefined();
    await store().kv.set('core', 'k', 'one');
    await store().kv.set('bridge:irc', 'k', 'irc');
    expect(await store().kv.get('core', 'k')).toBe('one');
    await store().kv.set('core', 'k', 'two');
    expect(await store().kv.get('core', 'k')).toBe('two');
    expect(await store().kv.get('bridge:irc', 'k')).toBe('irc');
    await store().kv.delete('core', 'k');
    await store().kv.delete('core', 'missing');
    expect(await store().kv.get('core', 'k')).toBeUndefined();
    expect(await store().kv.get('bridge:irc', 'k')).toBe('irc');
  });
});
