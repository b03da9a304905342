// What core hands a connector for replies, edits and redactions: the replied-to message for a
// quote (fetched from the homeserver), no edit by anyone but the original's sender, and whose
// message a redaction removes.
import { describe, expect, it } from 'vitest';
import { event, inThread, reply, ROOM, setup } from '../../test/support/deliver-recorder.js';
import type { ClientEvent } from '../matrix/events.js';
import { SendsInFlight } from './sends-in-flight.js';

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
