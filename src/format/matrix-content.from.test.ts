import { describe, expect, it } from 'vitest';
import { fromMatrixContent, stripReplyFallback } from './matrix-content.js';
import { seeded } from '../../test/support/seeded-random.js';

describe('fromMatrixContent', () => {
  it('reads text, notices and emotes', () => {
    expect(fromMatrixContent({ msgtype: 'm.text', body: 'hi' })).toEqual({
      kind: 'text',
      text: 'hi',
    });
    expect(fromMatrixContent({ msgtype: 'm.notice', body: 'n' })).toEqual({
      kind: 'notice',
      text: 'n',
    });
    expect(fromMatrixContent({ msgtype: 'm.emote', body: 'waves' })).toEqual({
      kind: 'emote',
      text: 'waves',
    });
  });

  it('parses formatted_body only when the format says HTML', () => {
    expect(
      fromMatrixContent({
        msgtype: 'm.text',
        body: '**b**',
        format: 'org.matrix.custom.html',
        formatted_body: '<strong>b</strong>',
      }),
    ).toEqual({ kind: 'text', text: '**b**', formatted: [{ style: 'bold', children: ['b'] }] });
    expect(
      fromMatrixContent({
        msgtype: 'm.text',
        body: 'x',
        format: 'text/markdown',
        formatted_body: '<b>x</b>',
      }),
    ).toEqual({ kind: 'text', text: 'x' });
    expect(
      fromMatrixContent({
        msgtype: 'm.text',
        body: 'x',
        format: 'org.matrix.custom.html',
        formatted_body: 7,
      }),
    ).toEqual({ kind: 'text', text: 'x' });
  });

  it('strips the reply fallback from body and formatted_body of a reply', () => {
    const content = {
      msgtype: 'm.text',
      body: '> <@alice:example.org> original\n> second line\n\nmy answer',
      format: 'org.matrix.custom.html',
      formatted_body:
        '<mx-reply><blockquote><a href="https://matrix.to/#/!r:example.org/$e">In reply to</a> ' +
        '<a href="https://matrix.to/#/@alice:example.org">@alice:example.org</a><br>original</blockquote></mx-reply>my <em>answer</em>',
      'm.relates_to': { 'm.in_reply_to': { event_id: '$e' } },
    };
    expect(fromMatrixContent(content)).toEqual({
      kind: 'text',
      text: 'my answer',
      formatted: ['my ', { style: 'italic', children: ['answer'] }],
    });
  });

  it('gives quotes, headings and lists as block nodes', () => {
    const out = fromMatrixContent({
      msgtype: 'm.text',
      body: '# T\n> q\n- i',
      format: 'org.matrix.custom.html',
      formatted_body: '<h1>T</h1><blockquote>q</blockquote><ul><li>i</li></ul>',
    });
    const br = { style: 'linebreak' };
    expect(out?.formatted).toEqual([
      { style: 'heading', level: 1, children: ['T'] },
      br,
      { style: 'quote', children: ['q'] },
      br,
      { style: 'list', ordered: false, children: [{ style: 'item', children: ['i'] }] },
    ]);
  });

  it('keeps quotes that are not a reply fallback', () => {
    // Not a reply: the quote is the message.
    expect(fromMatrixContent({ msgtype: 'm.text', body: '> <@a:b> quoted\n\nx' })?.text).toBe(
      '> <@a:b> quoted\n\nx',
    );
    // A reply without fallback (Matrix 1.13+) whose text starts with a quote of its own.
    const reply = { 'm.relates_to': { 'm.in_reply_to': { event_id: '$e' } } };
    expect(
      fromMatrixContent({ msgtype: 'm.text', body: '> famous words\n\nindeed', ...reply })?.text,
    ).toBe('> famous words\n\nindeed');
  });

  it('strips emote-shaped fallbacks', () => {
    expect(stripReplyFallback('> * <@a:example.org> waves\n\nhello')).toBe('hello');
  });

  it('reads media as an attachment, the caption as text', () => {
    expect(
      fromMatrixContent({
        msgtype: 'm.image',
        body: 'cat.png',
        url: 'mxc://example.org/abc123',
        info: { mimetype: 'image/png', size: 1024, w: 10 },
      }),
    ).toEqual({
      kind: 'text',
      text: '',
      attachments: [
        { url: 'mxc://example.org/abc123', name: 'cat.png', mimeType: 'image/png', size: 1024 },
      ],
    });
    expect(
      fromMatrixContent({
        msgtype: 'm.file',
        body: 'see <b>this</b>',
        filename: 'report.pdf',
        format: 'org.matrix.custom.html',
        formatted_body: 'see <b>this</b>',
        url: 'mxc://example.org/r',
      }),
    ).toEqual({
      kind: 'text',
      text: 'see <b>this</b>',
      formatted: ['see ', { style: 'bold', children: ['this'] }],
      attachments: [{ url: 'mxc://example.org/r', name: 'report.pdf' }],
    });
  });

  it('drops media metadata of the wrong type or shape', () => {
    const out = fromMatrixContent({
      msgtype: 'm.file',
      body: 'evil\r\nContent-Type: text/html\u0000.txt',
      url: 'mxc://example.org/x',
      info: { mimetype: 'text/plain\r\nX-Injected: 1', size: -1 },
    });
    expect(out?.attachments).toEqual([
      { url: 'mxc://example.org/x', name: 'evilContent-Type: text/html.txt' },
    ]);
    for (const size of [1.5, '10', Number.MAX_VALUE, null]) {
      const c = fromMatrixContent({
        msgtype: 'm.file',
        body: 'f',
        url: 'mxc://a/b',
        info: { size },
      });
      expect(c?.attachments?.[0]).toEqual({ url: 'mxc://a/b', name: 'f' });
    }
  });

  it('gives undefined for unusable content', () => {
    const unusable: unknown[] = [
      undefined,
      null,
      42,
      'm.text',
      [],
      [{ msgtype: 'm.text', body: 'x' }],
      {},
      { msgtype: 5, body: 'x' },
      { msgtype: 'm.text' },
      { msgtype: 'm.text', body: 5 },
      { msgtype: 'm.text', body: { toString: 'x' } },
      { msgtype: 'm.text', body: '' },
      { msgtype: 'm.image', body: 'x.png' },
      { msgtype: 'm.image', body: 'x.png', url: 'https://evil.org/x.png' },
      { msgtype: 'm.image', body: 'x.png', url: 'mxc://evil/../../etc' },
      { msgtype: 'm.image', body: 'x.png', file: { url: 'mxc://a/b', key: {} } },
    ];
    for (const content of unusable) expect(fromMatrixContent(content)).toBeUndefined();
  });

  it('does not mistake msgtypes like constructor for known ones', () => {
    for (const msgtype of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(fromMatrixContent({ msgtype, body: 'x' })).toEqual({ kind: 'text', text: 'x' });
    }
  });

  it('shows the body of an unknown msgtype, as the spec asks', () => {
    expect(fromMatrixContent({ msgtype: 'org.example.custom', body: 'fallback' })).toEqual({
      kind: 'text',
      text: 'fallback',
    });
  });

  it('takes the text from formatted_body when body is empty', () => {
    expect(
      fromMatrixContent({
        msgtype: 'm.text',
        body: '',
        format: 'org.matrix.custom.html',
        formatted_body: '<b>x</b>',
      }),
    ).toEqual({ kind: 'text', text: 'x', formatted: [{ style: 'bold', children: ['x'] }] });
  });

  it('never throws, even on objects that throw when read', () => {
    const trap = new Proxy(
      {},
      {
        get: () => {
          throw new Error('boom');
        },
      },
    );
    expect(fromMatrixContent(trap)).toBeUndefined();
    expect(
      fromMatrixContent({ msgtype: 'm.text', body: 'x', 'm.relates_to': trap }),
    ).toBeUndefined();
  });

  it('never throws on seeded random JSON-shaped content', () => {
    const rand = seeded(0xc0ffee);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const keys = [
      'msgtype',
      'body',
      'format',
      'formatted_body',
      'url',
      'info',
      'filename',
      'm.relates_to',
      'm.in_reply_to',
      'mimetype',
      'size',
      'file',
    ];
    const atoms: unknown[] = [
      null,
      true,
      0,
      -1,
      1e308,
      '',
      'm.text',
      'm.image',
      'org.matrix.custom.html',
      'mxc://a/b',
      '<b>x</b><mx-reply>',
      '> <@a:b> x\n\ny',
      [],
      {},
    ];
    const value = (depth: number): unknown => {
      if (depth <= 0 || rand() < 0.5) return pick(atoms);
      if (rand() < 0.2) return [value(depth - 1)];
      const obj: Record<string, unknown> = {};
      for (let i = Math.floor(rand() * 5); i > 0; i--) obj[pick(keys)] = value(depth - 1);
      return obj;
    };
    for (let round = 0; round < 2000; round++) {
      const out = fromMatrixContent(value(4));
      if (out !== undefined) expect(typeof out.text).toBe('string');
    }
  });
});
