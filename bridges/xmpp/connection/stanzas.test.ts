import { xml } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { buildJoin, buildMessage, buildModeration, NS, parseMessage } from './stanzas.js';

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

describe('XEP-0425 moderation', () => {
  const from = { type: 'groupchat', from: 'r@muc.x', to: 'a@m.x/matrix', id: 'n1' };

  it('reads a v0.2 announcement (Prosody 0.12: fasten apply-to, moderate:0, retract:0)', () => {
    const m = parseMessage(
      xml(
        'message',
        from,
        xml(
          'apply-to',
          { xmlns: NS.fasten, id: 'sid1' },
          xml(
            'moderated',
            { xmlns: NS.moderate0, by: 'r@muc.x/Mod' },
            xml('retract', { xmlns: NS.retract0 }),
            xml('reason', {}, 'spam'),
          ),
        ),
      ),
    );
    expect(m.moderated).toEqual({ id: 'sid1', by: 'r@muc.x/Mod', reason: 'spam' });
    expect(m.retracts).toBeUndefined();
  });

  it('reads a v0.3+ announcement (retract:1 holding moderated of moderate:1)', () => {
    const m = parseMessage(
      xml(
        'message',
        from,
        xml(
          'retract',
          { xmlns: NS.retract, id: 'sid2' },
          xml('moderated', { xmlns: NS.moderate1, by: 'r@muc.x/Mod' }),
          xml('reason', {}, 'off topic'),
        ),
      ),
    );
    expect(m.moderated).toEqual({ id: 'sid2', by: 'r@muc.x/Mod', reason: 'off topic' });
    expect(m.retracts).toBeUndefined();
  });

  it('a plain XEP-0424 retraction stays one; a v0.2 moderation without retract is none', () => {
    const r = parseMessage(xml('message', from, xml('retract', { xmlns: NS.retract, id: 'o1' })));
    expect(r.retracts).toBe('o1');
    expect(r.moderated).toBeUndefined();
    const edit = parseMessage(
      xml(
        'message',
        from,
        xml(
          'apply-to',
          { xmlns: NS.fasten, id: 'sid3' },
          xml('moderated', { xmlns: NS.moderate0, by: 'r@muc.x/Mod' }),
        ),
      ),
    );
    expect(edit.moderated).toBeUndefined();
    expect(edit.retracts).toBeUndefined();
  });

  it('builds requests for both versions, the reason escaped by the library', () => {
    const v0 = buildModeration('u@m.x/r', 'r@muc.x', 'sid1', '<b>&', 0);
    expect(v0.attrs).toMatchObject({ type: 'set', from: 'u@m.x/r', to: 'r@muc.x' });
    const applyTo = v0.getChild('apply-to', NS.fasten)!;
    expect(applyTo.attrs.id).toBe('sid1');
    const moderate = applyTo.getChild('moderate', NS.moderate0)!;
    expect(moderate.getChild('retract', NS.retract0)).toBeDefined();
    expect(moderate.getChildText('reason')).toBe('<b>&');
    expect(v0.toString()).toContain('&lt;b&gt;&amp;');
    const v1 = buildModeration('u@m.x/r', 'r@muc.x', 'sid1', undefined, 1);
    const m1 = v1.getChild('moderate', NS.moderate1)!;
    expect(m1.attrs.id).toBe('sid1');
    expect(m1.getChild('retract', NS.retract)).toBeDefined();
    expect(m1.getChild('reason')).toBeUndefined();
  });
});

describe('MUC joins', () => {
  it("carry the room's password (XEP-0045 §7.2.6) only when it has one", () => {
    const x = (el: ReturnType<typeof buildJoin>) => el.getChild('x', NS.muc);
    const open = buildJoin('a@m.x/matrix', 'r@muc.x/Alice');
    expect(x(open)?.getChild('password')).toBeUndefined();
    expect(x(open)?.getChild('history')?.attrs.maxstanzas).toBe('0');
    const locked = buildJoin('a@m.x/matrix', 'r@muc.x/Alice', [], 'sésame <&> ok');
    expect(x(locked)?.getChildText('password')).toBe('sésame <&> ok');
    expect(locked.toString()).toContain('<password>sésame &lt;&amp;&gt; ok</password>');
  });
});
