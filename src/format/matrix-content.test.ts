import { describe, expect, it } from 'vitest';
import type { MessageContent } from './content.js';
import { attachmentToMatrixContent, toMatrixContent } from './matrix-content.js';

describe('toMatrixContent', () => {
  it('maps kinds to msgtypes, plain text without format', () => {
    expect(toMatrixContent({ kind: 'text', text: 'hi' })).toEqual({
      msgtype: 'm.text',
      body: 'hi',
      'm.mentions': {},
    });
    expect(toMatrixContent({ kind: 'notice', text: 'n' }).msgtype).toBe('m.notice');
    expect(toMatrixContent({ kind: 'emote', text: 'waves' }).msgtype).toBe('m.emote');
  });

  it('adds HTML and m.mentions when formatted', () => {
    const content: MessageContent = {
      kind: 'text',
      text: 'alice: <b>hi</b>',
      formatted: [
        { style: 'mention', userId: '@irc_alice:example.org', children: ['alice'] },
        ': ',
        { style: 'bold', children: ['<b>hi</b>'] },
        { style: 'mention', userId: '@irc_alice:example.org', children: ['again'] },
      ],
    };
    expect(toMatrixContent(content, { mentionName: () => 'Alice' })).toEqual({
      msgtype: 'm.text',
      body: 'alice: <b>hi</b>',
      format: 'org.matrix.custom.html',
      formatted_body:
        '<a href="https://matrix.to/#/@irc_alice:example.org">Alice</a>: ' +
        '<strong>&lt;b&gt;hi&lt;/b&gt;</strong>' +
        '<a href="https://matrix.to/#/@irc_alice:example.org">Alice</a>',
      'm.mentions': { user_ids: ['@irc_alice:example.org'] },
    });
  });

  it('never lists an invalid user id in m.mentions', () => {
    const out = toMatrixContent({
      kind: 'text',
      text: 'x',
      formatted: [{ style: 'mention', userId: '@room', children: ['@room'] }],
    });
    expect(out['m.mentions']).toEqual({});
    expect(out.formatted_body).toBe('@room');
  });

  it('removes NUL and unpaired surrogates, which Matrix cannot store', () => {
    expect(toMatrixContent({ kind: 'text', text: 'a\u0000b\ud800c' }).body).toBe('ab\ufffdc');
  });
});

describe('attachmentToMatrixContent', () => {
  it('picks the msgtype from the MIME type and keeps name, size and type', () => {
    expect(
      attachmentToMatrixContent({
        url: 'mxc://hs/abc',
        name: 'cat.png',
        mimeType: 'image/png',
        size: 12,
      }),
    ).toEqual({
      msgtype: 'm.image',
      body: 'cat.png',
      filename: 'cat.png',
      url: 'mxc://hs/abc',
      info: { mimetype: 'image/png', size: 12 },
      'm.mentions': {},
    });
    expect(
      attachmentToMatrixContent({ url: 'mxc://hs/a', name: 'a.ogg', mimeType: 'audio/ogg' })
        .msgtype,
    ).toBe('m.audio');
    expect(
      attachmentToMatrixContent({ url: 'mxc://hs/a', name: 'a.mp4', mimeType: 'video/mp4' })
        .msgtype,
    ).toBe('m.video');
    expect(attachmentToMatrixContent({ url: 'mxc://hs/a', name: 'a.bin' }).msgtype).toBe('m.file');
  });

  it('turns media that is not on Matrix into a safe link', () => {
    expect(
      attachmentToMatrixContent({ url: 'https://cdn.example/x.png', name: 'x"<.png' }),
    ).toEqual({
      msgtype: 'm.text',
      body: 'x"<.png: https://cdn.example/x.png',
      format: 'org.matrix.custom.html',
      formatted_body: '<a href="https://cdn.example/x.png">x&quot;&lt;.png</a>',
      'm.mentions': {},
    });
    const evil = attachmentToMatrixContent({ url: 'javascript:alert(1)', name: 'x' });
    expect(evil).not.toHaveProperty('formatted_body');
  });
});
