// The conformance kit's tests of delivery itself: bursts both ways in order and once each, a
// message the network refuses, and a restart in the middle of a burst.
import { expect } from 'vitest';
import { checkAllOnNetwork, textOf } from './checks.js';
import type { ConformanceTest } from './conformance-tests.js';
import { burstTexts, matchTexts } from './portal-view.js';

const BURST = 20;
const RESTART_BURST = 35;

export const matrixToNetworkOrder: ConformanceTest = {
  name: 'matrix-to-network-order',
  title: `a burst of ${BURST} Matrix messages reaches the network in order, once each, with no failure notice`,
  timeoutMs: 90_000,
  run: async (kit) => {
    const p = await kit.portal();
    const texts = burstTexts('to-network', kit.tag(), BURST);
    const ids: string[] = [];
    for (const text of texts) ids.push(await p.text(text));
    await checkAllOnNetwork(p, texts, ids);
    await p.settle();
    expect(matchTexts(await p.received(), texts)).toEqual(texts);
    expect((await p.failureNotices(ids)).map(textOf), 'no failure notice in Matrix').toEqual([]);
  },
};

export const networkToMatrixOrder: ConformanceTest = {
  name: 'network-to-matrix-order',
  title: `a burst of ${BURST} remote messages reaches Matrix in order, once each, as the remote user's ghost, and never comes back`,
  needs: { what: 'network.say', has: (t) => typeof t.network.say === 'function' },
  timeoutMs: 90_000,
  run: async (kit) => {
    const p = await kit.portal();
    const say = (text: string) => kit.target.network.say!(p.roomId, text);
    const tag = kit.tag();
    const texts = burstTexts('from-network', tag, BURST);
    for (const text of texts) await say(text);
    // One more after them: once it is in the room, nothing of the burst is still on its way.
    const last = `from-network ${tag} last`;
    await say(last);
    const inMatrix = async () =>
      (await p.events()).filter((e) => e.type === 'm.room.message' && e.sender !== p.user.userId);
    await p.until(
      async () => (await inMatrix()).some((e) => textOf(e).includes(last)),
      'the last remote message in Matrix',
      p.patienceMs * 2,
    );
    const events = (await inMatrix()).filter((e) => texts.some((t) => textOf(e).includes(t)));
    expect(events.map((e) => texts.find((t) => textOf(e).includes(t)))).toEqual(texts);
    const senders = [...new Set(events.map((e) => e.sender))];
    expect(senders, 'one remote user, one ghost').toHaveLength(1);
    expect(kit.isGhost(senders[0]!), `${senders[0]} is a ghost of the bridge`).toBe(true);
    // Loops never: the bridge does not send its own ghost's messages back to the network.
    await p.settle();
    expect((await p.received()).filter((m) => m.text?.includes(tag))).toEqual([]);
  },
};

export const refusedMessage: ConformanceTest = {
  name: 'refused-message',
  title: 'a message the network refuses gets a failure notice in Matrix, and the portal goes on',
  needs: {
    what: 'refuse (text the network refuses)',
    has: (t) => typeof t.refuse === 'string' && t.refuse.length > 0,
  },
  timeoutMs: 90_000,
  run: async (kit) => {
    const p = await kit.portal();
    const tag = kit.tag();
    const refused = `${kit.target.refuse!} ${tag}`;
    const refusedId = await p.text(refused);
    const notice = await p.noticeFor(refusedId, 'the refused message');
    expect(textOf(notice)).toMatch(/not delivered/i);
    const after = `after the refusal ${tag}`;
    const afterId = await p.text(after);
    await p.messageOnNetwork(after);
    expect(
      (await p.received()).filter((m) => m.text?.includes(refused)),
      'the refused message is not on the network',
    ).toEqual([]);
    expect(
      (await p.failureNotices([afterId])).map(textOf),
      'the next message goes through',
    ).toEqual([]);
  },
};

export const restartMidBurst: ConformanceTest = {
  name: 'restart-mid-burst',
  title: `a burst of ${RESTART_BURST} Matrix messages across a restart (stopped mid-burst, down, started again on the same database) reaches the network once each, in order, with no failure notice`,
  timeoutMs: 180_000,
  run: async (kit) => {
    const p = await kit.portal();
    const texts = burstTexts('restart', kit.tag(), RESTART_BURST);
    const ids: string[] = [];
    const send = async (from: number, to: number) => {
      for (const text of texts.slice(from, to)) ids.push(await p.text(text));
    };
    await send(0, 10);
    const stopping = kit.switchboard.stop();
    kit.sb = undefined;
    await send(10, 20); // while the bridge stops: some reach it, some wait at the homeserver
    await stopping;
    await send(20, 30); // while it is down
    await kit.start(); // same database; returns once the homeserver has sent what it kept
    await send(30, RESTART_BURST);
    await checkAllOnNetwork(p, texts, ids);
    await p.settle();
    expect(matchTexts(await p.received(), texts)).toEqual(texts);
    expect((await p.failureNotices(ids)).map(textOf), 'no failure notice in Matrix').toEqual([]);
  },
};
