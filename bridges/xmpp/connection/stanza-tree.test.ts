import { xml } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { stanzaOf, stanzaTree } from './stanza-tree.js';

describe('a stanza as plain data', () => {
  it('comes back the same from JSON: names, namespaces, attributes, escaped text', () => {
    const el = xml(
      'message',
      { type: 'groupchat', to: 'r@c.x', id: 'a"1' },
      xml('body', {}, 'a <b> & c'),
      xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'o1' }),
    );
    const back = stanzaOf(JSON.parse(JSON.stringify(stanzaTree(el))));
    expect(back.toString()).toBe(el.toString());
    expect(back.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id).toBe('o1');
  });
});
