// The conformance kit's test of the way back: a remote user's message that Matrix refuses for good
// is bounced to them on the network (the connector's `emitSettled`), and the portal goes on.
import { expect } from 'vitest';
import { setEventLevel } from '../support/room-levels.js';
import { textOf } from './checks.js';
import type { ConformanceTest } from './conformance-tests.js';

export const matrixRefusedTest: ConformanceTest = {
  name: 'matrix-refused',
  title:
    'a remote message Matrix refuses for good (the room lets no ghost speak) is bounced to its sender on the network, with the reason, and the next one goes through (claims bounces)',
  needs: { what: 'network.say', has: (t) => typeof t.network.say === 'function' },
  timeoutMs: 90_000,
  run: async (kit) => {
    const p = await kit.portal();
    const say = (text: string) => kit.target.network.say!(p.roomId, text);
    const tag = kit.tag();
    // The ghost speaks once first, so it is in the room before it may no longer speak.
    await say(`before ${tag}`);
    await p.until(
      async () => (await p.events()).some((e) => textOf(e).includes(`before ${tag}`)),
      'the first remote message in Matrix',
    );
    await setEventLevel(p.roomId, 'm.room.message', 100);
    const refused = `refused by Matrix ${tag}`;
    await say(refused);
    const bounce = await p.onNetwork((m) => m.kind === 'bounce', 'the bounce on the network');
    expect(bounce.text, 'the sender is told why').toMatch(/M_FORBIDDEN/);
    await setEventLevel(p.roomId, 'm.room.message', undefined);
    const after = `after the bounce ${tag}`;
    await say(after);
    await p.until(
      async () => (await p.events()).some((e) => textOf(e).includes(after)),
      'the next remote message in Matrix',
    );
    const texts = (await p.events()).map(textOf);
    expect(
      texts.filter((t) => t.includes(refused)),
      'the refused one is not in Matrix',
    ).toEqual([]);
    const bounces = (await p.received()).filter((m) => m.kind === 'bounce');
    expect(bounces, 'one bounce, for the refused message only').toHaveLength(1);
  },
};
