// The tests of the conformance kit. Each one opens its own portal and checks what a user sees on
// both sides: the remote chat (through the target's network probe) and the Matrix room (through
// real Synapse, as the Matrix user).
import { expect } from 'vitest';
import type { RoomEvent } from '../support/bridge-harness.js';
import type { Kit } from './kit.js';
import { burstTexts, matchTexts, type PortalView } from './portal-view.js';
import type {
  ConformanceCapabilities,
  ConformanceTarget,
  ConformanceTestName,
  NetworkMessage,
} from './types.js';

export interface ConformanceTest {
  name: ConformanceTestName;
  title: string;
  /** What the target must provide for the test to run (else it must skip it, with a reason). */
  needs?: { what: string; has: (target: ConformanceTarget) => boolean };
  timeoutMs: number;
  run(kit: Kit): Promise<void>;
}

const BURST = 20;
const RESTART_BURST = 35;
const NOT_SUPPORTED = /not support/i;

const body = (e: RoomEvent) => (typeof e.content.body === 'string' ? e.content.body : '');

/** Waits until every text is on the network; on timeout says what did arrive and what Matrix was told. */
async function allOnNetwork(p: PortalView, texts: string[], eventIds: string[]): Promise<void> {
  try {
    await p.until(
      async () => matchTexts(await p.received(), texts).length >= texts.length,
      `all ${texts.length} messages on the network`,
    );
  } catch (err) {
    const arrived = matchTexts(await p.received(), texts);
    const notices = (await p.failureNotices(eventIds)).map(body);
    throw new Error(
      `${(err as Error).message}\nmissing: ${JSON.stringify(texts.flatMap((t, i) => (arrived.includes(t) ? [] : [`${t} (${eventIds[i] ?? '?'})`])))}\n` +
        `arrived (network order): ${JSON.stringify(arrived)}\nfailure notices: ${JSON.stringify(notices)}`,
    );
  }
}

/** Sends a message, waits for it on the network and returns both ends of it. */
async function original(
  p: PortalView,
  text: string,
  needsId: boolean,
): Promise<{ eventId: string; remote: NetworkMessage }> {
  const eventId = await p.text(text);
  const remote = await p.messageOnNetwork(text);
  if (needsId)
    expect(remote.id, 'the network probe reports the id the network gave the message').toBeTruthy();
  return { eventId, remote };
}

/**
 * One capability carried from Matrix to the network: claimed, it must reach the network pointing at
 * the right remote message (through the message map) without a failure notice; not claimed, the
 * sender gets a notice saying it is not supported, and the network gets nothing.
 */
function capabilityTest(
  name: 'edits' | 'reactions' | 'redactions',
  capability: keyof ConformanceCapabilities,
  claimed: boolean,
  what: string,
  act: (p: PortalView, eventId: string, tag: string) => Promise<string>,
  kind: NetworkMessage['kind'],
  check: (m: NetworkMessage, tag: string) => void,
): ConformanceTest {
  return {
    name,
    title: claimed
      ? `${what} from Matrix reaches the network pointing at the right message (claims ${capability})`
      : `${what} from Matrix gets a "not supported" notice and nothing reaches the network (does not claim ${capability})`,
    timeoutMs: 90_000,
    run: async (kit) => {
      const p = await kit.portal();
      const tag = kit.tag();
      const { eventId, remote } = await original(p, `${name} target ${tag}`, claimed);
      const actionId = await act(p, eventId, tag);
      if (claimed) {
        const got = await p.onNetwork(
          (m) => m.kind === kind && m.target === remote.id,
          `the ${kind} on the network, pointing at ${remote.id}`,
        );
        check(got, tag);
        await p.settle();
        expect(
          (await p.failureNotices([eventId, actionId])).map(body),
          'no failure notice in Matrix',
        ).toEqual([]);
        expect(
          (await p.received()).filter((m) => m.kind === kind),
          `exactly one ${kind} on the network`,
        ).toHaveLength(1);
      } else {
        const notice = await p.noticeFor(actionId, what);
        expect(body(notice)).toMatch(NOT_SUPPORTED);
        await p.settle();
        expect(
          (await p.received()).filter((m) => m.kind === kind),
          `no ${kind} on the network`,
        ).toEqual([]);
      }
    },
  };
}

export function conformanceTests(target: ConformanceTarget): ConformanceTest[] {
  const caps = target.capabilities;
  return [
    {
      name: 'matrix-to-network-order',
      title: `a burst of ${BURST} Matrix messages reaches the network in order, once each, with no failure notice`,
      timeoutMs: 90_000,
      run: async (kit) => {
        const p = await kit.portal();
        const texts = burstTexts('to-network', kit.tag(), BURST);
        const ids: string[] = [];
        for (const text of texts) ids.push(await p.text(text));
        await allOnNetwork(p, texts, ids);
        await p.settle();
        expect(matchTexts(await p.received(), texts)).toEqual(texts);
        expect((await p.failureNotices(ids)).map(body), 'no failure notice in Matrix').toEqual([]);
      },
    },
    {
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
          (await p.events()).filter(
            (e) => e.type === 'm.room.message' && e.sender !== p.user.userId,
          );
        await p.until(
          async () => (await inMatrix()).some((e) => body(e).includes(last)),
          'the last remote message in Matrix',
          p.patienceMs * 2,
        );
        const events = (await inMatrix()).filter((e) => texts.some((t) => body(e).includes(t)));
        expect(events.map((e) => texts.find((t) => body(e).includes(t)))).toEqual(texts);
        const senders = [...new Set(events.map((e) => e.sender))];
        expect(senders, 'one remote user, one ghost').toHaveLength(1);
        expect(kit.isGhost(senders[0]!), `${senders[0]} is a ghost of the bridge`).toBe(true);
        // Loops never: the bridge does not send its own ghost's messages back to the network.
        await p.settle();
        expect((await p.received()).filter((m) => m.text?.includes(tag))).toEqual([]);
      },
    },
    {
      name: 'replies',
      title: caps.replies
        ? 'a reply from Matrix reaches the network pointing at the message it answers (claims replies)'
        : 'a reply from Matrix still reaches the network as a message, with no failure notice (does not claim replies)',
      timeoutMs: 90_000,
      run: async (kit) => {
        const p = await kit.portal();
        const tag = kit.tag();
        const { eventId, remote } = await original(p, `replied to ${tag}`, caps.replies);
        const replyId = await p.reply(eventId, `the reply ${tag}`);
        const got = await p.messageOnNetwork(`the reply ${tag}`);
        if (caps.replies)
          expect(got.target, 'the reply points at the remote message it answers').toBe(remote.id);
        await p.settle();
        expect(
          (await p.failureNotices([eventId, replyId])).map(body),
          'no failure notice in Matrix',
        ).toEqual([]);
      },
    },
    {
      name: 'threads',
      title: caps.threads
        ? 'a message in a Matrix thread reaches the network in the thread of the root (claims threads)'
        : 'a message in a Matrix thread still reaches the network as a message, with no failure notice (does not claim threads)',
      timeoutMs: 90_000,
      run: async (kit) => {
        const p = await kit.portal();
        const tag = kit.tag();
        const { eventId, remote } = await original(p, `thread root ${tag}`, caps.threads ?? false);
        const inThreadId = await p.inThread(eventId, `in the thread ${tag}`);
        const got = await p.messageOnNetwork(`in the thread ${tag}`);
        if (caps.threads) {
          expect(got.thread, 'the message names the thread root').toBe(remote.id);
          expect(got.target, 'the thread fallback is not a reply').toBeUndefined();
        }
        await p.settle();
        expect(
          (await p.failureNotices([eventId, inThreadId])).map(body),
          'no failure notice in Matrix',
        ).toEqual([]);
      },
    },
    capabilityTest(
      'edits',
      'edits',
      caps.edits,
      'an edit',
      (p, id, tag) => p.edit(id, `edited ${tag}`),
      'edit',
      (m, tag) => expect(m.text, 'the edit carries the new text').toContain(`edited ${tag}`),
    ),
    capabilityTest(
      'reactions',
      'reactions',
      caps.reactions,
      'a reaction',
      (p, id) => p.react(id, '👍'),
      'reaction',
      (m) => expect(m.text, 'the reaction carries its key').toBe('👍'),
    ),
    capabilityTest(
      'redactions',
      'redactions',
      caps.redactions,
      'a redaction',
      (p, id) => p.redact(id),
      'delete',
      () => undefined,
    ),
    {
      name: 'refused-message',
      title:
        'a message the network refuses gets a failure notice in Matrix, and the portal goes on',
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
        expect(body(notice)).toMatch(/not delivered/i);
        const after = `after the refusal ${tag}`;
        const afterId = await p.text(after);
        await p.messageOnNetwork(after);
        expect(
          (await p.received()).filter((m) => m.text?.includes(refused)),
          'the refused message is not on the network',
        ).toEqual([]);
        expect(
          (await p.failureNotices([afterId])).map(body),
          'the next message goes through',
        ).toEqual([]);
      },
    },
    {
      name: 'calls',
      title: caps.calls
        ? 'a Matrix call invite and its hangup reach the network with their call id, with no failure notice (claims calls)'
        : 'a Matrix call invite gets a "not supported" notice and nothing reaches the network (does not claim calls)',
      needs: {
        what: 'openCallPortal (a portal room that is not public)',
        has: (t) => typeof t.openCallPortal === 'function',
      },
      timeoutMs: 90_000,
      run: async (kit) => {
        const p = await kit.portal(true);
        const callId = `conf-call-${kit.tag()}`;
        const call = { call_id: callId, party_id: 'conformance', version: '1' };
        const offer = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';
        const inviteId = await p.send(
          { ...call, lifetime: 30_000, offer: { type: 'offer', sdp: offer } },
          'm.call.invite',
        );
        const isCall = (action: string) => (m: NetworkMessage) =>
          m.kind === 'call' && m.id === callId && m.text === action;
        if (caps.calls) {
          await p.onNetwork(isCall('invite'), 'the call invite on the network');
          const hangupId = await p.send({ ...call, reason: 'user_hangup' }, 'm.call.hangup');
          await p.onNetwork(isCall('hangup'), 'the hangup on the network');
          await p.settle();
          expect(
            (await p.failureNotices([inviteId, hangupId])).map(body),
            'no failure notice in Matrix',
          ).toEqual([]);
        } else {
          const notice = await p.noticeFor(inviteId, 'the call invite');
          expect(body(notice)).toMatch(NOT_SUPPORTED);
          await p.settle();
          expect(
            (await p.received()).filter((m) => m.kind === 'call'),
            'no call on the network',
          ).toEqual([]);
        }
      },
    },
    {
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
        await allOnNetwork(p, texts, ids);
        await p.settle();
        expect(matchTexts(await p.received(), texts)).toEqual(texts);
        expect((await p.failureNotices(ids)).map(body), 'no failure notice in Matrix').toEqual([]);
      },
    },
    ...(caps.avatars ? [senderAvatarTest] : []),
    ...(caps.receipts ? [readReceiptsTest] : []),
  ];
}

/** A real PNG (1×1), the Matrix user's avatar. */
const AVATAR_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);

const senderAvatarTest: ConformanceTest = {
  name: 'sender-avatar',
  title:
    'a Matrix user’s avatar shows beside their message on the network, and a new one on their next (claims avatars)',
  timeoutMs: 90_000,
  run: async (kit) => {
    const p = await kit.portal();
    const tag = kit.tag();
    const first = await p.setAvatar(AVATAR_PNG, 'image/png');
    await p.text(`avatar one ${tag}`);
    const one = await p.messageOnNetwork(`avatar one ${tag}`);
    expect(one.avatar, 'the network shows an avatar').toBeTruthy();
    const second = await p.setAvatar(AVATAR_PNG, 'image/png');
    expect(second).not.toBe(first);
    await p.text(`avatar two ${tag}`);
    const two = await p.messageOnNetwork(`avatar two ${tag}`);
    expect(two.avatar, 'the network shows the new avatar').toBeTruthy();
    expect(two.avatar, 'the new avatar, not the old one').not.toBe(one.avatar);
  },
};

const readReceiptsTest: ConformanceTest = {
  name: 'read-receipts',
  title:
    'a Matrix read receipt reaches the network pointing at the message read; of a quick run of receipts, the newest is the last the network gets (claims receipts)',
  timeoutMs: 90_000,
  run: async (kit) => {
    const p = await kit.portal();
    const tag = kit.tag();
    const sent: { eventId: string; remote: NetworkMessage }[] = [];
    for (const n of [1, 2, 3]) sent.push(await original(p, `read ${n} ${tag}`, true));
    await p.read(sent[0]!.eventId);
    await p.onNetwork(
      (m) => m.kind === 'receipt' && m.target === sent[0]!.remote.id,
      'the receipt of the first message on the network',
    );
    await p.read(sent[1]!.eventId);
    await p.read(sent[2]!.eventId);
    await p.onNetwork(
      (m) => m.kind === 'receipt' && m.target === sent[2]!.remote.id,
      'the receipt of the third message on the network',
    );
    await p.settle();
    const receipts = (await p.received()).filter((m) => m.kind === 'receipt');
    expect(receipts.at(-1)?.target, 'the newest receipt is the last').toBe(sent[2]!.remote.id);
    expect(
      receipts.every((m) => sent.some((s) => s.remote.id === m.target)),
      'receipts point only at messages read',
    ).toBe(true);
  },
};
