// What core hands a connector for replies, edits and redactions: the replied-to message for a
// quote (fetched from the homeserver), no edit by anyone but the original's sender, and whose
// message a redaction removes.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type {
  Connector,
  MatrixEdit,
  MatrixMessage,
  MatrixPins,
  MatrixPowerLevels,
  MatrixRedaction,
  SendResult,
} from '../connector.js';
import { BridgeError, remoteMessageId } from '../connector.js';
import type { ClientEvent } from '../matrix/events.js';
import type { MessageMapping } from '../store/store.js';
import { BridgeRuntime } from './bridge-runtime.js';
import { deliverToNetwork, type DeliverDeps } from './from-matrix.js';
import type { MemberNames } from './member-names.js';
import { SendsInFlight } from './sends-in-flight.js';

const ROOM = '!room:example.org';
const portal = { bridge: 'net', portalKey: 'p', roomId: ROOM, metadata: '{}', createdAt: 0 };

class Recorder implements Connector {
  readonly id = 'net';
  readonly displayName = 'Net';
  readonly configSchema = z.unknown();
  messages: MatrixMessage[] = [];
  edits: MatrixEdit[] = [];
  /** What the network will answer later, for the next message (none: taken at once). */
  confirmNext?: Promise<void>;
  async start() {}
  async stop() {}
  async handleMatrixMessage(msg: MatrixMessage): Promise<SendResult> {
    this.messages.push(msg);
    const confirmed = this.confirmNext;
    this.confirmNext = undefined;
    return { remoteId: remoteMessageId(`r-${msg.eventId}`), ...(confirmed ? { confirmed } : {}) };
  }
  async handleMatrixEdit(edit: MatrixEdit): Promise<void> {
    this.edits.push(edit);
  }
  redactions: MatrixRedaction[] = [];
  async handleMatrixRedaction(redaction: MatrixRedaction): Promise<void> {
    this.redactions.push(redaction);
  }
  levels: MatrixPowerLevels[] = [];
  async handleMatrixPowerLevels(change: MatrixPowerLevels): Promise<void> {
    this.levels.push(change);
  }
  pins: MatrixPins[] = [];
  async handleMatrixPins(change: MatrixPins): Promise<void> {
    this.pins.push(change);
  }
}

const event = (id: string, sender: string, content: Record<string, unknown>): ClientEvent => ({
  event_id: id,
  room_id: ROOM,
  sender,
  type: 'm.room.message',
  origin_server_ts: 1,
  content,
});

function setup(
  events: ClientEvent[],
  fetchEvent?: DeliverDeps['fetchEvent'],
  capabilities?: Connector['capabilities'],
  inFlight?: SendsInFlight,
) {
  const rows: MessageMapping[] = [
    { bridge: 'net', portalKey: 'p', remoteId: 'r-$orig', roomId: ROOM, eventId: '$orig' },
  ];
  const connector = new Recorder();
  if (capabilities) Object.assign(connector, { capabilities });
  const runtime = new BridgeRuntime(connector, 'net_', {}, 'example.org');
  const byId = new Map(events.map((e) => [e.event_id, e]));
  const deps: DeliverDeps = {
    messages: {
      add: async (row) => void rows.push(row),
      remove: async (_, eventId) => {
        const at = rows.findIndex((r) => r.eventId === eventId);
        if (at >= 0) rows.splice(at, 1);
      },
      byEvent: async (_, eventId) => rows.find((r) => r.eventId === eventId),
      byRemote: async () => undefined,
    },
    members: {
      get: async (_: string, u: string) => `Name of ${u}`,
      profile: async (_: string, u: string) => ({ displayName: `Name of ${u}` }),
    } as unknown as MemberNames,
    bridgeOf: () => undefined,
    fetchEvent:
      fetchEvent ??
      (async (_, id) => {
        const found = byId.get(id);
        if (!found) throw new Error('404');
        return found;
      }),
    ...(inFlight ? { inFlight } : {}),
  };
  const deliver = (ev: ClientEvent) => deliverToNetwork(deps, runtime, portal, ev);
  return { connector, deliver, rows, deps };
}

const reply = (id: string, to: string, body: string) =>
  event(id, '@bob:example.org', {
    msgtype: 'm.text',
    body: `> <@alice:example.org> the original\n\n${body}`,
    'm.relates_to': { 'm.in_reply_to': { event_id: to } },
  });

const inThread = (id: string, root: string, last: string, fallback: boolean) =>
  event(id, '@bob:example.org', {
    msgtype: 'm.text',
    body: 'in the thread',
    'm.relates_to': {
      rel_type: 'm.thread',
      event_id: root,
      is_falling_back: fallback,
      'm.in_reply_to': { event_id: last },
    },
  });

describe('deliverToNetwork: threads', () => {
  it("gives a connector with threads the root's remote id, and no reply for the fallback", async () => {
    const { connector, deliver } = setup([], undefined, { threads: true });
    await deliver(inThread('$t', '$orig', '$orig', true));
    const [msg] = connector.messages;
    expect(msg?.thread).toBe('r-$orig');
    expect(msg?.replyTo).toBeUndefined();
  });

  it('keeps a real reply inside the thread', async () => {
    const { connector, deliver } = setup([], undefined, { threads: true });
    await deliver(inThread('$t', '$orig', '$orig', false));
    expect(connector.messages[0]).toMatchObject({ thread: 'r-$orig', replyTo: 'r-$orig' });
  });

  it('gives a connector without threads the fallback as a reply, and no thread', async () => {
    const { connector, deliver } = setup([]);
    await deliver(inThread('$t', '$orig', '$orig', true));
    const [msg] = connector.messages;
    expect(msg?.thread).toBeUndefined();
    expect(msg?.replyTo).toBe('r-$orig');
  });
});

describe('deliverToNetwork: an event the bridge is still sending', () => {
  it("a thread on it waits for the send to end, then has the root's remote id", async () => {
    // The Matrix user saw the bridge's event before the bridge read the homeserver's answer.
    const inFlight = new SendsInFlight();
    const { connector, deliver, rows } = setup([], undefined, { threads: true }, inFlight);
    const ended = inFlight.begin(ROOM);
    const delivered = deliver(inThread('$t', '$fresh', '$fresh', true));
    await new Promise((r) => setTimeout(r, 10));
    expect(connector.messages).toEqual([]); // waiting for the send, not sent without its thread
    rows.push({
      bridge: 'net',
      portalKey: 'p',
      remoteId: 'r-$fresh',
      roomId: ROOM,
      eventId: '$fresh',
    });
    ended();
    await delivered;
    expect(connector.messages[0]?.thread).toBe('r-$fresh');
  });

  it('a pin of it waits for the send to end, then pins its remote id', async () => {
    const inFlight = new SendsInFlight();
    const { connector, deliver, rows } = setup([], undefined, undefined, inFlight);
    const ended = inFlight.begin(ROOM);
    const delivered = deliver({
      event_id: '$pin',
      room_id: ROOM,
      sender: '@alice:example.org',
      type: 'm.room.pinned_events',
      state_key: '',
      origin_server_ts: 1,
      content: { pinned: ['$orig', '$fresh'] },
      unsigned: { prev_content: { pinned: ['$orig'] } },
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(connector.pins).toEqual([]); // waiting for the send, not a pin of nothing
    rows.push({
      bridge: 'net',
      portalKey: 'p',
      remoteId: 'r-$fresh',
      roomId: ROOM,
      eventId: '$fresh',
    });
    ended();
    await delivered;
    expect(connector.pins[0]).toMatchObject({
      pinned: ['r-$orig', 'r-$fresh'],
      added: ['r-$fresh'],
      removed: [],
    });
  });

  it('an event of no send under way is not waited for: a reply to it goes at once, unmapped', async () => {
    const inFlight = new SendsInFlight();
    const { connector, deliver } = setup(
      [],
      async () => Promise.reject(new Error('404')),
      undefined,
      inFlight,
    );
    await deliver(reply('$r', '$unknown', 'to something never bridged'));
    expect(connector.messages[0]?.replyTo).toBeUndefined();
  });
});

describe('deliverToNetwork: replies', () => {
  it('gives the replied-to message: sender, display name, text without its own fallback, remote id', async () => {
    const original = event('$orig', '@alice:example.org', {
      msgtype: 'm.text',
      body: '> <@carol:example.org> older\n\nthe original',
      'm.relates_to': { 'm.in_reply_to': { event_id: '$older' } },
    });
    const { connector, deliver } = setup([original]);
    await deliver(reply('$r', '$orig', 'my answer'));
    const [msg] = connector.messages;
    expect(msg?.content.text).toBe('my answer');
    expect(msg?.replyTo).toBe('r-$orig');
    expect(msg?.inReplyTo).toEqual({
      eventId: '$orig',
      sender: '@alice:example.org',
      senderName: 'Name of @alice:example.org',
      text: 'the original',
      remoteId: 'r-$orig',
    });
  });

  it("quotes an edited original's latest text, only when its own sender edited it", async () => {
    const edited = (editor: string): ClientEvent => ({
      ...event('$orig', '@alice:example.org', { msgtype: 'm.text', body: 'typo' }),
      unsigned: {
        'm.relations': {
          'm.replace': {
            sender: editor,
            content: { 'm.new_content': { msgtype: 'm.text', body: 'fixed' } },
          },
        },
      },
    });
    const own = setup([edited('@alice:example.org')]);
    await own.deliver(reply('$r', '$orig', 'x'));
    expect(own.connector.messages[0]?.inReplyTo?.text).toBe('fixed');
    const other = setup([edited('@mallory:example.org')]);
    await other.deliver(reply('$r', '$orig', 'x'));
    expect(other.connector.messages[0]?.inReplyTo?.text).toBe('typo');
  });

  it('still delivers the reply, without a quote, when the original cannot be fetched', async () => {
    const { connector, deliver } = setup([], async () => {
      throw new Error('homeserver down');
    });
    await deliver(reply('$r', '$gone', 'still said'));
    expect(connector.messages[0]?.content.text).toBe('still said');
    expect(connector.messages[0]?.inReplyTo).toBeUndefined();
  });

  it('gives no quote of a redacted original', async () => {
    const { connector, deliver } = setup([event('$orig', '@alice:example.org', {})]);
    await deliver(reply('$r', '$orig', 'x'));
    expect(connector.messages[0]?.inReplyTo).toBeUndefined();
  });
});

describe('deliverToNetwork: edits', () => {
  const edit = (sender: string) =>
    event('$e', sender, {
      msgtype: 'm.text',
      body: '* fixed',
      'm.new_content': { msgtype: 'm.text', body: 'fixed' },
      'm.relates_to': { rel_type: 'm.replace', event_id: '$orig' },
    });
  const original = event('$orig', '@alice:example.org', { msgtype: 'm.text', body: 'typo' });

  it("passes the original's sender's edit on", async () => {
    const { connector, deliver } = setup([original]);
    await deliver(edit('@alice:example.org'));
    expect(connector.edits.map((e) => [e.target, e.content.text])).toEqual([['r-$orig', 'fixed']]);
  });

  it("drops an edit of someone else's message, as clients do", async () => {
    const { connector, deliver } = setup([original]);
    await deliver(edit('@mallory:example.org'));
    expect(connector.edits).toEqual([]);
  });
});

describe('deliverToNetwork: redactions', () => {
  const redaction = (sender: string): ClientEvent => ({
    ...event('$x', sender, { reason: 'spam' }),
    type: 'm.room.redaction',
    redacts: '$orig',
  });
  const original = event('$orig', '@alice:example.org', {}); // as the homeserver has it: redacted

  it("tells whose message was redacted, so another's can be a moderator's removal", async () => {
    const { connector, deliver } = setup([original]);
    await deliver(redaction('@mod:example.org'));
    expect(
      connector.redactions.map((r) => [r.target, r.targetSender, r.targetTimestamp, r.reason]),
    ).toEqual([['r-$orig', '@alice:example.org', 1, 'spam']]);
  });

  it('still passes the redaction on when the original cannot be fetched', async () => {
    const { connector, deliver } = setup([], async () => {
      throw new Error('homeserver down');
    });
    await deliver(redaction('@mod:example.org'));
    expect(connector.redactions).toHaveLength(1);
    expect(connector.redactions[0]?.targetSender).toBeUndefined();
    expect(connector.redactions[0]?.targetTimestamp).toBeUndefined();
  });
});

describe('deliverToNetwork: a network that confirms later', () => {
  const text = (id: string) => event(id, '@bob:example.org', { msgtype: 'm.text', body: 'hi' });

  it('maps the message at once, and keeps it when the network takes it', async () => {
    const { connector, deliver, rows } = setup([]);
    connector.confirmNext = Promise.resolve();
    const { confirmed } = (await deliver(text('$a'))) ?? {};
    expect(rows.map((r) => r.eventId)).toContain('$a');
    await expect(confirmed).resolves.toBeUndefined();
    await deliver(text('$a')); // a replay: the network has it already
    expect(connector.messages).toHaveLength(1);
  });

  it('takes the mapping back when the network refuses, so that a retry sends it again', async () => {
    const { connector, deliver, rows } = setup([]);
    const refusal = new BridgeError('rejected', 'IRC refused the message: +m', true);
    connector.confirmNext = Promise.reject(refusal);
    const { confirmed } = (await deliver(text('$b'))) ?? {};
    await expect(confirmed).rejects.toBe(refusal);
    expect(rows.map((r) => r.eventId)).not.toContain('$b');
    await deliver(text('$b'));
    expect(connector.messages.map((m) => m.eventId)).toEqual(['$b', '$b']);
  });
});

describe("deliverToNetwork: the mapping's commit", () => {
  const text = (id: string) => event(id, '@bob:example.org', { msgtype: 'm.text', body: 'hi' });
  /** Everything queued as promise jobs has run (the commit below never settles by itself). */
  const settled = () => new Promise((resolve) => setImmediate(resolve));

  /** A store whose mapping commits settle only when the test says so. */
  function slowCommits() {
    const { connector, deliver, rows, deps } = setup([]);
    const commits: { resolve(): void; reject(err: Error): void }[] = [];
    deps.messages.add = (row) => {
      rows.push(row); // found by lookups at once, as the store's pending mappings are
      return new Promise((resolve, reject) => commits.push({ resolve, reject }));
    };
    return { connector, deliver, commits };
  }

  it("lets the room's next event go before the mapping commits; the event is done after it", async () => {
    const { connector, deliver, commits } = slowCommits();
    let delivered: Awaited<ReturnType<typeof deliver>> | 'waiting' = 'waiting';
    void deliver(text('$a')).then((d) => (delivered = d));
    await settled();
    expect(delivered).not.toBe('waiting'); // the room's next event may go
    await deliver(text('$b'));
    expect(connector.messages.map((m) => m.eventId)).toEqual(['$a', '$b']);
    let done = false;
    void (delivered as { confirmed?: Promise<void> }).confirmed?.then(() => (done = true));
    await settled();
    expect(done).toBe(false);
    commits[0]!.resolve();
    await settled();
    expect(done).toBe(true);
  });

  it('fails the event when its mapping cannot be committed', async () => {
    const { deliver, commits } = slowCommits();
    const outcome = deliver(text('$a')).then((delivery) => delivery?.confirmed);
    await settled();
    const broken = new Error('disk full');
    commits[0]!.reject(broken);
    await expect(outcome).rejects.toBe(broken);
  });
});

describe('deliverToNetwork: power levels', () => {
  const levels = (content: Record<string, unknown>): ClientEvent => ({
    event_id: '$pl',
    room_id: ROOM,
    sender: '@alice:example.org',
    type: 'm.room.power_levels',
    state_key: '',
    origin_server_ts: 1,
    content,
  });

  it('gives the room’s redact level with the changes (50 when unset)', async () => {
    const { connector, deliver } = setup([]);
    await deliver(levels({ users: { '@a:example.org': 100 }, redact: 75 }));
    await deliver(levels({ users: { '@a:example.org': 100 } }));
    expect(connector.levels.map((l) => l.redact)).toEqual([75, 50]);
  });
});

describe('powerLevelChanges', () => {
  it('lists the users whose level changed, a removed entry at the default', async () => {
    const { powerLevelChanges } = await import('./from-matrix.js');
    expect(
      powerLevelChanges(
        { users: { '@a:x': 100, '@b:x': 50, '@c:x': 0 }, users_default: 0 },
        { users: { '@a:x': 100, '@c:x': 50, '@d:x': 50 }, users_default: 0 },
      ),
    ).toEqual([
      { userId: '@b:x', level: 50, previous: 0 },
      { userId: '@c:x', level: 0, previous: 50 },
      { userId: '@d:x', level: 0, previous: 50 },
    ]);
    expect(powerLevelChanges({ users: { '@a:x': 100 }, users_default: 0 }, undefined)).toEqual([
      { userId: '@a:x', level: 100, previous: 0 },
    ]);
  });
});
