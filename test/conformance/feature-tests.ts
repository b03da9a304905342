// The conformance kit's tests of what a connector claims (`capabilities`): replies, threads,
// edits, reactions, redactions, calls, avatars, read receipts, and refusing links it cannot serve.
// Claimed, a feature must reach the network right; not claimed, it must degrade as documented.
import { expect } from 'vitest';
import { portalKey, type LinkOptions } from '../../src/connector.js';
import { NOT_SUPPORTED, sentAndOnNetwork, textOf } from './checks.js';
import type { ConformanceTest } from './conformance-tests.js';
import type { PortalView } from './portal-view.js';
import type { ConformanceCapabilities, NetworkMessage } from './types.js';

export const repliesTest = (caps: ConformanceCapabilities): ConformanceTest => ({
  name: 'replies',
  title: caps.replies
    ? 'a reply from Matrix reaches the network pointing at the message it answers (claims replies)'
    : 'a reply from Matrix still reaches the network as a message, with no failure notice (does not claim replies)',
  timeoutMs: 90_000,
  run: async (kit) => {
    const p = await kit.portal();
    const tag = kit.tag();
    const { eventId, remote } = await sentAndOnNetwork(p, `replied to ${tag}`, caps.replies);
    const replyId = await p.reply(eventId, `the reply ${tag}`);
    const got = await p.messageOnNetwork(`the reply ${tag}`);
    if (caps.replies)
      expect(got.target, 'the reply points at the remote message it answers').toBe(remote.id);
    await p.settle();
    expect(
      (await p.failureNotices([eventId, replyId])).map(textOf),
      'no failure notice in Matrix',
    ).toEqual([]);
  },
});

export const threadsTest = (caps: ConformanceCapabilities): ConformanceTest => ({
  name: 'threads',
  title: caps.threads
    ? 'a message in a Matrix thread reaches the network in the thread of the root (claims threads)'
    : 'a message in a Matrix thread still reaches the network as a message, with no failure notice (does not claim threads)',
  timeoutMs: 90_000,
  run: async (kit) => {
    const p = await kit.portal();
    const tag = kit.tag();
    const { eventId, remote } = await sentAndOnNetwork(
      p,
      `thread root ${tag}`,
      caps.threads ?? false,
    );
    const inThreadId = await p.inThread(eventId, `in the thread ${tag}`);
    const got = await p.messageOnNetwork(`in the thread ${tag}`);
    if (caps.threads) {
      expect(got.thread, 'the message names the thread root').toBe(remote.id);
      expect(got.target, 'the thread fallback is not a reply').toBeUndefined();
    }
    await p.settle();
    expect(
      (await p.failureNotices([eventId, inThreadId])).map(textOf),
      'no failure notice in Matrix',
    ).toEqual([]);
  },
});

/** Edits, reactions and redactions from Matrix, as the target claims them. */
export const actionTests = (caps: ConformanceCapabilities): ConformanceTest[] => [
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
];

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
      const { eventId, remote } = await sentAndOnNetwork(p, `${name} target ${tag}`, claimed);
      const actionId = await act(p, eventId, tag);
      if (claimed) {
        const got = await p.onNetwork(
          (m) => m.kind === kind && m.target === remote.id,
          `the ${kind} on the network, pointing at ${remote.id}`,
        );
        check(got, tag);
        await p.settle();
        expect(
          (await p.failureNotices([eventId, actionId])).map(textOf),
          'no failure notice in Matrix',
        ).toEqual([]);
        expect(
          (await p.received()).filter((m) => m.kind === kind),
          `exactly one ${kind} on the network`,
        ).toHaveLength(1);
      } else {
        const notice = await p.noticeFor(actionId, what);
        expect(textOf(notice)).toMatch(NOT_SUPPORTED);
        await p.settle();
        expect(
          (await p.received()).filter((m) => m.kind === kind),
          `no ${kind} on the network`,
        ).toEqual([]);
      }
    },
  };
}

export const callsTest = (caps: ConformanceCapabilities): ConformanceTest => ({
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
    const p = await kit.portal('call');
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
        (await p.failureNotices([inviteId, hangupId])).map(textOf),
        'no failure notice in Matrix',
      ).toEqual([]);
    } else {
      const notice = await p.noticeFor(inviteId, 'the call invite');
      expect(textOf(notice)).toMatch(NOT_SUPPORTED);
      await p.settle();
      expect(
        (await p.received()).filter((m) => m.kind === 'call'),
        'no call on the network',
      ).toEqual([]);
    }
  },
});

/** Only for a target naming a remote id its bridge cannot serve (`Connector.validateLink`). */
export const linkRefusedTest = (link: { bridge: string; remoteId: string }): ConformanceTest => ({
  name: 'link-refused',
  title: `a link to a remote id the bridge cannot serve (${link.remoteId}) is refused with a reason (validateLink)`,
  timeoutMs: 30_000,
  run: async (kit) => {
    const runtime = kit.switchboard.runtimes.get(link.bridge);
    expect(runtime, `a bridge ${link.bridge} is running`).toBeDefined();
    expect(runtime!.connector.validateLink, 'the connector has validateLink').toBeTypeOf(
      'function',
    );
    const reason = await runtime!.connector.validateLink!(portalKey(link.remoteId), {});
    expect(reason, 'a reason shown to whoever asked').toMatch(/\S/);
  },
});

/** Only for a target naming a link option value its bridge refuses (`Connector.linkOptions`). */
export const linkOptionRefusedTest = (link: {
  bridge: string;
  remoteId: string;
  refused: LinkOptions;
}): ConformanceTest => ({
  name: 'link-option-refused',
  title: `a link option the bridge takes, with a value it cannot use (${Object.keys(link.refused).join(', ')}), is refused with a reason naming it (validateLink)`,
  timeoutMs: 30_000,
  run: async (kit) => {
    const connector = kit.switchboard.runtimes.get(link.bridge)?.connector;
    expect(connector?.validateLink, 'the connector has validateLink').toBeTypeOf('function');
    for (const name of Object.keys(link.refused))
      expect(connector!.linkOptions ?? [], 'the bridge declares the option').toContain(name);
    const key = portalKey(link.remoteId);
    expect(
      await connector!.validateLink!(key, {}),
      'the remote id alone is linked',
    ).toBeUndefined();
    const reason = await connector!.validateLink!(key, link.refused);
    expect(reason, 'a reason shown to whoever asked').toMatch(/\S/);
    for (const name of Object.keys(link.refused)) expect(reason).toContain(`"${name}"`);
  },
});

/** A real PNG (1×1), the Matrix user's avatar. */
const AVATAR_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);

export const senderAvatarTest: ConformanceTest = {
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

export const readReceiptsTest: ConformanceTest = {
  name: 'read-receipts',
  title:
    'a Matrix read receipt reaches the network pointing at the message read; of a quick run of receipts, the newest is the last the network gets (claims receipts)',
  timeoutMs: 90_000,
  run: async (kit) => {
    const p = await kit.portal();
    const tag = kit.tag();
    const sent: { eventId: string; remote: NetworkMessage }[] = [];
    for (const n of [1, 2, 3]) sent.push(await sentAndOnNetwork(p, `read ${n} ${tag}`, true));
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

export const presenceTest: ConformanceTest = {
  name: 'presence',
  title:
    'a Matrix user’s presence (away, then online) reaches the network in the chat they wrote in (claims presence)',
  timeoutMs: 60_000,
  run: async (kit) => {
    const p = await kit.portal();
    await sentAndOnNetwork(p, `presence ${kit.tag()}`, false);
    await p.setPresence('unavailable');
    await p.onNetwork(
      (m) => m.kind === 'presence' && m.text === 'unavailable',
      'the user away on the network',
    );
    await p.setPresence('online');
    await p.onNetwork(
      (m) => m.kind === 'presence' && m.text === 'online',
      'the user online again on the network',
    );
  },
};
