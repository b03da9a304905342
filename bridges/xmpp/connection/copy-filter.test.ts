import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { CopyFilter, plainStanzaEnd, readStartTag, type StanzaAttrs } from './copy-filter.js';

const HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' from='matrix.localhost' id='s1'>";
const READER = 'reader@matrix.localhost/matrix';
const copy = (to: string, body: string) =>
  `<message type='groupchat' from='room@conference.localhost/Ann' to='${to}'><body>${body}</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>`;
/** Drops groupchat copies for anyone but the reader, as the connector asks. */
const otherCopy = (a: StanzaAttrs) => a.type === 'groupchat' && a.to !== READER;

/** The whole stream through a filter, cut into chunks of `size` characters. */
function through(stream: string, size = stream.length, drop = otherCopy): string {
  const f = new CopyFilter(drop);
  let out = '';
  for (let i = 0; i < stream.length; i += size)
    f.feed(stream.slice(i, i + size), (t) => (out += t));
  return out;
}

describe('CopyFilter', () => {
  const presence = `<presence from='room@conference.localhost/Ann' to='${READER}'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant'/></x></presence>`;
  const stream =
    HEADER +
    copy('other1@matrix.localhost/matrix', 'hello') +
    copy(READER, 'hello') +
    copy('other2@matrix.localhost/matrix', 'hello') +
    presence +
    `<message type='chat' from='ann@localhost/x' to='other1@matrix.localhost'><body>dm</body></message>`;
  const kept =
    HEADER +
    copy(READER, 'hello') +
    presence +
    `<message type='chat' from='ann@localhost/x' to='other1@matrix.localhost'><body>dm</body></message>`;

  it('leaves out the copies for other occupants and passes everything else as it came', () => {
    const f = new CopyFilter(otherCopy);
    let out = '';
    f.feed(stream, (t) => (out += t));
    expect(out).toBe(kept);
    expect(f.dropped).toBe(2);
  });

  it('gives the same text whatever the chunks (cut anywhere, even mid-tag)', () => {
    for (const size of [1, 2, 3, 7, 13, 50, 128]) expect(through(stream, size)).toBe(kept);
  });

  it('drops a stanza whole with nested messages, CDATA and markup characters in quotes', () => {
    const nasty =
      `<message type='groupchat' from='room@conference.localhost/Ann' to='x@matrix.localhost/m'>` +
      `<body>a &lt;b&gt; &amp; c</body><data a='1 > 2' b="it's />"/>` +
      `<result><forwarded><message type='groupchat' to='${READER}'><body>inner</body></message></forwarded></result>` +
      `<raw><![CDATA[</message><message to='${READER}'>]]></raw></message>`;
    const tail = copy(READER, 'after');
    for (const size of [1, 5, 1000])
      expect(through(HEADER + nasty + tail, size)).toBe(HEADER + tail);
  });

  it('keeps a nested message of a kept stanza (a MAM result) and drops a self-closing copy', () => {
    const mam = `<message from='room@conference.localhost' to='${READER}'><result xmlns='urn:xmpp:mam:2'><forwarded><message type='groupchat' to='x@matrix.localhost/m'><body>old</body></message></forwarded></result></message>`;
    const empty = `<message type='groupchat' from='room@conference.localhost/Ann' to='x@matrix.localhost/m'/>`;
    for (const size of [1, 4, 1000])
      expect(through(HEADER + mam + empty + copy(READER, 'x'), size)).toBe(
        HEADER + mam + copy(READER, 'x'),
      );
  });

  it('reads entities in the attributes and keeps a stanza it cannot read', () => {
    expect(readStartTag(`<message to='a&amp;b&apos;c&#x41;&#66;' type="groupchat">`)).toEqual({
      name: 'message',
      attrs: { to: "a&b'cAB", type: 'groupchat' },
    });
    const odd = `<message type='groupchat' to='x&nbsp;y@matrix.localhost'><body>k</body></message>`;
    expect(through(HEADER + odd)).toBe(HEADER + odd);
  });

  it('turns itself off on a stray end tag: the parser sees the stream as it came', () => {
    const bad = HEADER + '</stream:stream></oops>' + copy('x@matrix.localhost/m', 'y');
    expect(through(bad)).toBe(bad);
  });

  it('decides on each message once what came before it was handled (a new reader counts at once)', () => {
    // The reader's occupant is kicked, in the same chunk as the next message's copies: from then
    // on the copy to the next occupant is the one to read.
    let reader = READER;
    const next = 'next@matrix.localhost/matrix';
    const kick = `<presence type='unavailable' from='room@conference.localhost/Reader' to='${READER}'><x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/><status code='307'/></x></presence>`;
    const f = new CopyFilter((a) => a.type === 'groupchat' && a.to !== reader);
    let out = '';
    f.feed(
      HEADER + kick + copy(next, 'after the kick') + copy('x@matrix.localhost/m', 'after the kick'),
      (t) => {
        out += t;
        if (t.includes("code='307'")) reader = next; // what the bridge does on reading the kick
      },
    );
    expect(out).toBe(HEADER + kick + copy(next, 'after the kick'));
  });
});

describe('what the filter hands the parser', () => {
  it('keeps no socket read alive: a piece of a kept stanza holds its stanza, not the copies', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const f = new CopyFilter(otherCopy);
    f.feed(HEADER, () => undefined);
    const kept: string[] = [];
    const others = Array.from({ length: 10 }, (_, i) => `o${i}@matrix.localhost/matrix`);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let n = 0; n < 2000; n++) {
      // A socket read: every occupant's copy of one message; the bridge keeps an id of the kept one.
      const read = [READER, ...others].map((to) => copy(to, `${n} ${'x'.repeat(300)}`)).join('');
      f.feed(Buffer.from(read).toString(), (t) => kept.push(t.slice(10, 50)));
    }
    gc();
    const grew = process.memoryUsage().heapUsed - before;
    expect(kept).toHaveLength(2000);
    // The reads were ~4.5 MB each time round (11 copies of ~420 bytes, 2,000 times); what the
    // kept pieces hold is the reader's copies alone (~0.9 MB).
    expect(grew).toBeLessThan(2_000_000);
  });
});

describe('plainStanzaEnd', () => {
  const start = (s: string) => s.indexOf('>') + 1;
  it('finds the end of a stanza with no nested message, CDATA or comment in it', () => {
    const s = copy(READER, 'hi') + '<presence/>';
    expect(plainStanzaEnd(s, start(s))).toBe(s.indexOf('<presence'));
  });
  it('leaves the rest to the walk: not in the chunk yet, nested, CDATA, comment', () => {
    const open = "<message type='groupchat' to='x'>";
    for (const rest of [
      '<body>cut',
      "<result><message to='y'><body/></message></result></message>",
      '<raw><![CDATA[</message>]]></raw></message>',
      '<!-- </message> --></message>',
    ])
      expect(plainStanzaEnd(open + rest, open.length)).toBe(-1);
  });
});
