import { describe, expect, it } from 'vitest';
import type { MessageContent, PublicLinkTarget } from '../../../src/connector.js';
import { utf8Length } from '../../../src/format/text.js';
import type { FromMatrixDeps } from './from-matrix.js';
import { toIrcLines } from '../format/lines.js';
import { withLinks } from './links.js';

const MAX = 400;

function deps(on = true, url = 'https://bridge.example.org/_switchboard/x') {
  const asked: PublicLinkTarget[] = [];
  const d: Pick<FromMatrixDeps, 'publicLink'> = {
    publicLink: async (target) => {
      asked.push(target);
      return on ? `${url}/${asked.length}` : undefined;
    },
  };
  return { d, asked };
}

const net = (max_lines?: number) => ({ config: { max_lines } });

/** What from-matrix.ts does: the text's lines, cut for the budget, then links. */
async function say(
  content: MessageContent,
  opts: { on?: boolean; maxLines?: number; lead?: string; url?: string; maxBytes?: number } = {},
) {
  const { d, asked } = deps(opts.on ?? true, opts.url);
  const maxBytes = opts.maxBytes ?? MAX;
  const lines = toIrcLines((opts.lead ?? '') + content.text, { maxBytes });
  return { out: await withLinks(d, net(opts.maxLines), content, lines, maxBytes), asked };
}

const tenLines = Array.from({ length: 10 }, (_, i) => `line ${i + 1} of the paste`).join('\n');
const image = (text = ''): MessageContent => ({
  kind: 'text',
  text,
  attachments: [{ url: 'mxc://example.org/Cat', name: 'cat.png', mimeType: 'image/png' }],
});

describe('long messages', () => {
  it('says a message past max_lines as its first line and a link to the whole text', async () => {
    const { out, asked } = await say({ kind: 'text', text: tenLines });
    expect(out).toEqual([
      'line 1 of the paste … (full message: https://bridge.example.org/_switchboard/x/1)',
    ]);
    expect(asked).toEqual([{ text: tenLines }]);
  });

  it('says up to max_lines lines as they are (3 by default, or as configured)', async () => {
    const three = 'a\nb\nc';
    expect((await say({ kind: 'text', text: three })).out).toEqual(['a', 'b', 'c']);
    expect((await say({ kind: 'text', text: three })).asked).toEqual([]);
    expect((await say({ kind: 'text', text: tenLines }, { maxLines: 10 })).out).toHaveLength(10);
    expect((await say({ kind: 'text', text: three }, { maxLines: 2 })).out).toHaveLength(1);
  });

  it('counts IRC lines: one long paragraph cut into many lines is long too', async () => {
    const text = 'word '.repeat(400).trim();
    const { out } = await say({ kind: 'text', text });
    expect(out).toHaveLength(1);
    expect(utf8Length(out[0]!)).toBeLessThanOrEqual(MAX);
    expect(out[0]).toMatch(/^word word .* … \(full message: https:\/\/\S+\/1\)$/);
  });

  it('says every line when links are off', async () => {
    const { out } = await say({ kind: 'text', text: tenLines }, { on: false });
    expect(out).toEqual(tenLines.split('\n'));
  });

  it('ends formatting before the link, and keeps the line within its budget', async () => {
    const bold = `\x02${'é'.repeat(300)}\x02`;
    const { out } = await say({ kind: 'text', text: `${bold}\n2\n3\n4` }, { maxBytes: 200 });
    expect(out).toHaveLength(1);
    expect(utf8Length(out[0]!)).toBeLessThanOrEqual(200);
    expect(out[0]).toMatch(/\x0f … \(full message: https:\/\/\S+\/1\)$/);
  });

  it('makes no link that would not fit a line', async () => {
    const url = `https://bridge.example.org/${'x'.repeat(300)}`;
    const { out } = await say({ kind: 'text', text: tenLines }, { url, maxBytes: 200 });
    expect(out).toEqual(tenLines.split('\n'));
  });
});

describe('media', () => {
  it('says a file as its name and a link to it', async () => {
    const { out, asked } = await say(image());
    expect(out).toEqual(['cat.png https://bridge.example.org/_switchboard/x/1']);
    expect(asked).toEqual([
      { mxc: 'mxc://example.org/Cat', name: 'cat.png', mimeType: 'image/png' },
    ]);
  });

  it('says a captioned file as its caption and the link', async () => {
    const { out } = await say(image('look at him'));
    expect(out).toEqual(['look at him https://bridge.example.org/_switchboard/x/1']);
  });

  it("keeps a reply's quote before the file name", async () => {
    const { out } = await say(image(), { lead: '<bob> "hi" <- ' });
    expect(out).toEqual(['<bob> "hi" <- cat.png https://bridge.example.org/_switchboard/x/1']);
  });

  it('says a caption of many lines as text, then the file on a line of its own', async () => {
    const { out } = await say(image('one\ntwo'));
    expect(out).toEqual(['one', 'two', 'cat.png https://bridge.example.org/_switchboard/x/1']);
    const long = await say(image(tenLines));
    expect(long.out).toEqual([
      'line 1 of the paste … (full message: https://bridge.example.org/_switchboard/x/1)',
      'cat.png https://bridge.example.org/_switchboard/x/2',
    ]);
  });

  it('says a file as its name or caption alone when links are off', async () => {
    expect((await say(image(), { on: false })).out).toEqual(['cat.png']);
    expect((await say(image('look'), { on: false })).out).toEqual(['look']);
  });
});
