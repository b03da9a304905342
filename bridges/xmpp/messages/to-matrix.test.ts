import { describe, expect, it } from 'vitest';
import { portalKey, remoteUserId } from '../../../src/connector.js';
import { ReactionSets } from './reactions.js';
import { xml } from '@xmpp/xml';
import { parseMessage } from '../connection/stanzas.js';
import { contentFromBody } from './format.js';
import { boundedBody, EVENT_TEXT_BYTES, eventsOf, fitted, MAX_BODY_BYTES } from './to-matrix.js';

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

  it('fits a Matrix event: HTML too big beside the text dropped, JSON escapes cut further', () => {
    const short = contentFromBody('*a* <');
    expect(fitted(short, 100)).toBe(short);
    const styled = contentFromBody('*a* <'.repeat(6_000));
    expect(styled.formatted).toBeDefined();
    expect(fitted(styled, EVENT_TEXT_BYTES)).toEqual({ kind: 'text', text: styled.text });
    const quotes = fitted(contentFromBody('"'.repeat(31_000)), EVENT_TEXT_BYTES);
    expect(JSON.stringify(quotes.text).length).toBeLessThanOrEqual(EVENT_TEXT_BYTES);
    expect(quotes.text.endsWith('too long for Matrix]')).toBe(true);
  });

  it('a long correction is cut to half an event: it carries its text twice', async () => {
    const [edit] = await eventsOf(
      { type: 'chat', from: '', to: '', stanzaIds: [], body: 'z'.repeat(32_000), replaces: 'm0' },
      heard,
      new ReactionSets(kv()),
    );
    const text = edit?.kind === 'edit' ? edit.content.text : '';
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(EVENT_TEXT_BYTES / 2);
    expect(text.endsWith('too long for Matrix]')).toBe(true);
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

  it('XHTML-IM formatting becomes the formatted content; scripts and unsafe links do not survive', async () => {
    const el = xml(
      'message',
      { type: 'chat', from: 'a@x/r', to: 'b@y', id: 'm1' },
      xml('body', {}, 'hi there click'),
      xml(
        'html',
        { xmlns: 'http://jabber.org/protocol/xhtml-im' },
        xml(
          'body',
          { xmlns: 'http://www.w3.org/1999/xhtml' },
          xml('strong', {}, 'hi'),
          ' there ',
          xml('script', {}, 'alert(1)'),
          xml('a', { href: 'javascript:alert(1)' }, 'click'),
        ),
      ),
    );
    const [msg] = await eventsOf(parseMessage(el), heard, new ReactionSets(kv()));
    expect(msg).toMatchObject({ kind: 'message', content: { text: 'hi there click' } });
    const formatted = JSON.stringify(
      (msg as { content: { formatted?: unknown } }).content.formatted,
    );
    expect(formatted).toContain('"style":"bold"');
    expect(formatted).not.toContain('alert');
    expect(formatted).not.toContain('javascript');
  });

  it('a XEP-0333 displayed marker is a read receipt; a file link with out-of-band data is media', async () => {
    const marker = xml(
      'message',
      { type: 'chat', from: 'a@x/r', to: 'b@y' },
      xml('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id: 'm9' }),
    );
    const [receipt] = await eventsOf(parseMessage(marker), heard, new ReactionSets(kv()));
    expect(receipt).toMatchObject({ kind: 'receipt', upTo: 'sid:m9' });
    const url = 'https://up.example/f/cat.png';
    const file = xml(
      'message',
      { type: 'chat', from: 'a@x/r', to: 'b@y', id: 'm2' },
      xml('body', {}, url),
      xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, url)),
    );
    const [media] = await eventsOf(parseMessage(file), heard, new ReactionSets(kv()), async () => ({
      url: 'mxc://hs/abc',
      name: 'cat.png',
      mimeType: 'image/png',
    }));
    expect(media).toMatchObject({
      kind: 'message',
      content: { text: '', attachments: [{ url: 'mxc://hs/abc', mimeType: 'image/png' }] },
    });
    const [kept] = await eventsOf(
      parseMessage(file),
      heard,
      new ReactionSets(kv()),
      async () => undefined,
    );
    expect(kept).toMatchObject({ kind: 'message', content: { text: url } });
  });
});
