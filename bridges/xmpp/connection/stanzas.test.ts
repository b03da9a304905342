import { xml } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { buildMessage, NS, parseMessage } from './stanzas.js';

describe('reading messages', () => {
  it('reads ids, corrections, reactions and chat states', () => {
    const m = parseMessage(
      xml(
        'message',
        { type: 'groupchat', from: 'r@muc.x/Carl', to: 'a@m.x/matrix', id: 'i1' },
        xml('body', {}, 'hi'),
        xml('origin-id', { xmlns: NS.sid, id: 'o1' }),
        xml('stanza-id', { xmlns: NS.sid, id: 's1', by: 'r@muc.x' }),
        xml('stanza-id', { xmlns: NS.sid, id: 'forged' }), // no by: ignored
        xml('replace', { xmlns: NS.correct, id: 'i0' }),
        xml('composing', { xmlns: NS.chatStates }),
      ),
    );
    expect(m).toMatchObject({
      id: 'i1',
      originId: 'o1',
      stanzaIds: [{ id: 's1', by: 'r@muc.x' }],
      body: 'hi',
      replaces: 'i0',
      chatState: 'composing',
    });
    const r = parseMessage(
      xml(
        'message',
        { type: 'chat' },
        xml(
          'reactions',
          { xmlns: NS.reactions, id: 'm1' },
          xml('reaction', {}, '👍'),
          xml('reaction', {}, '👍'),
          xml('reaction', {}, ' '),
          xml('reaction', {}, 'x'.repeat(65)),
        ),
      ),
    );
    expect(r.reactions).toEqual({ id: 'm1', keys: ['👍'] });
  });

  it('drops a XEP-0461 reply fallback (offsets in code points), keeps an invalid one', () => {
    const reply = (start: string, end: string) =>
      parseMessage(
        xml(
          'message',
          { type: 'chat' },
          xml('body', {}, '> 😀 quoted\nanswer'),
          xml('reply', { xmlns: NS.reply, id: 'q' }),
          xml('fallback', { xmlns: NS.fallback, for: NS.reply }, xml('body', { start, end })),
        ),
      );
    expect(reply('0', '11').body).toBe('answer');
    expect(reply('0', '11').replyTo).toBe('q');
    expect(reply('0', '999').body).toBe('> 😀 quoted\nanswer');
  });

  it('reads a stanza error', () => {
    const m = parseMessage(
      xml(
        'message',
        { type: 'error', id: 'e' },
        xml(
          'error',
          { type: 'auth' },
          xml('forbidden', { xmlns: NS.stanzas }),
          xml('text', { xmlns: NS.stanzas }, 'not allowed'),
        ),
      ),
    );
    expect(m.error).toEqual({ condition: 'forbidden', text: 'not allowed' });
  });
});

describe('building messages', () => {
  it('a read marker (XEP-0333) and a delivery receipt (XEP-0184) carry no body and are not markable', () => {
    const el = buildMessage({
      type: 'chat',
      from: 'a@m.x/matrix',
      to: 'b@x',
      id: 'n1',
      displayed: 'm1',
      received: 'm2',
    });
    expect(el.getChild('displayed', NS.markers)?.attrs.id).toBe('m1');
    expect(el.getChild('received', NS.receipts)?.attrs.id).toBe('m2');
    expect(el.getChild('body')).toBeUndefined();
    expect(el.getChild('markable', NS.markers)).toBeUndefined();
  });
});
