import { xml } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import {
  avatarDataOf,
  avatarNotification,
  base64Bytes,
  buildVcard,
  nickOf,
  presencePhotoHash,
  readVcard,
  sha1Hex,
} from './vcard.js';

const HASH = 'a'.repeat(40);

describe('XMPP avatar stanzas', () => {
  it('reads the XEP-0153 hash of a presence: a hash, none (empty photo), or nothing told', () => {
    const p = (photo?: string) =>
      xml(
        'presence',
        {},
        photo === undefined
          ? xml('x', { xmlns: 'vcard-temp:x:update' })
          : xml('x', { xmlns: 'vcard-temp:x:update' }, xml('photo', {}, photo)),
      );
    expect(presencePhotoHash(p(HASH.toUpperCase()))).toBe(HASH);
    expect(presencePhotoHash(p(''))).toBe('');
    expect(presencePhotoHash(p())).toBeUndefined();
    expect(presencePhotoHash(p('not a hash'))).toBeUndefined();
    expect(presencePhotoHash(xml('presence', {}))).toBeUndefined();
  });

  it('builds a vCard that reads back: name and photo (text escaped by the library)', () => {
    const data = new Uint8Array([1, 2, 3, 250]);
    const card = buildVcard('<Matt & "co">', { data, type: 'image/png', sha1: sha1Hex(data) });
    expect(card.toString()).toContain('&lt;Matt &amp; ');
    const read = readVcard(card);
    expect(read.name).toBe('<Matt & "co">');
    expect(read.photo?.type).toBe('image/png');
    expect(Buffer.from(read.photo!.base64, 'base64')).toEqual(Buffer.from(data));
    expect(readVcard(buildVcard(undefined, undefined))).toEqual({});
  });

  it('sizes base64 without decoding it', () => {
    expect(base64Bytes(Buffer.alloc(3000).toString('base64'))).toBe(3000);
    expect(base64Bytes('AAAA\nAAAA')).toBe(6);
  });

  it('reads XEP-0084 notifications: the PNG info, a removal, and not-avatar events', () => {
    const event = (...infos: ReturnType<typeof xml>[]) =>
      xml(
        'message',
        {},
        xml(
          'event',
          { xmlns: 'http://jabber.org/protocol/pubsub#event' },
          xml(
            'items',
            { node: 'urn:xmpp:avatar:metadata' },
            xml(
              'item',
              { id: HASH },
              xml('metadata', { xmlns: 'urn:xmpp:avatar:metadata' }, ...infos),
            ),
          ),
        ),
      );
    const jpeg = xml('info', { id: 'b'.repeat(40), type: 'image/jpeg', bytes: '10' });
    const png = xml('info', { id: HASH, type: 'image/png', bytes: '12' });
    expect(avatarNotification(event(jpeg, png))).toEqual({
      id: HASH,
      type: 'image/png',
      bytes: 12,
    });
    expect(avatarNotification(event())).toBe('');
    expect(avatarNotification(xml('message', {}, xml('body', {}, 'hi')))).toBeUndefined();
    expect(avatarNotification(event(xml('info', { id: 'x', type: 'image/png' })))).toBeUndefined();
  });

  it('reads XEP-0084 data answers and XEP-0172 nicks', () => {
    const answer = xml(
      'iq',
      { type: 'result' },
      xml(
        'pubsub',
        { xmlns: 'http://jabber.org/protocol/pubsub' },
        xml(
          'items',
          { node: 'urn:xmpp:avatar:data' },
          xml('item', { id: HASH }, xml('data', { xmlns: 'urn:xmpp:avatar:data' }, ' AAAA ')),
        ),
      ),
    );
    expect(avatarDataOf(answer)).toBe('AAAA');
    expect(avatarDataOf(xml('iq', { type: 'result' }))).toBeUndefined();
    const nick = xml(
      'presence',
      {},
      xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, ' Bo '),
    );
    expect(nickOf(nick)).toBe('Bo');
  });
});
