import { describe, expect, it } from 'vitest';
import { xml } from '@xmpp/xml';
import { xmlText } from './xml-text.js';
import { buildMessage } from './stanzas.js';

describe('text on XMPP', () => {
  it('drops characters XML 1.0 cannot carry, keeps the rest', () => {
    expect(xmlText('a\x00b\x01c\x1fd\te\nf\rg')).toBe('abcd\te\nf\rg');
    expect(xmlText('x\ud800y\udc00z😀')).toBe('xyz😀');
    expect(xmlText('\ufffe\uffff!')).toBe('!');
  });

  it('hostile markup in a body stays text: escaped by the library', () => {
    const el = buildMessage({
      type: 'chat',
      from: 'a@m.x',
      to: 'b@x',
      id: '1',
      body: '</body><body>x</body>]]><![CDATA[<script>&amp;',
    });
    const s = el.toString();
    expect(s).toContain(
      '<body>&lt;/body&gt;&lt;body&gt;x&lt;/body&gt;]]&gt;&lt;![CDATA[&lt;script&gt;&amp;amp;</body>',
    );
    expect(xml('x', { a: '"\'<' }).toString()).toBe('<x a="&quot;&apos;&lt;"/>');
  });
});
