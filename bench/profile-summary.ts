/**
 * The functions and files that took the most CPU in a V8 `.cpuprofile` (self time), for reading
 * the benchmark's profiles without a browser.
 *
 *   npx tsx bench/profile-summary.ts <file.cpuprofile> [--top 40] [--under <regex>]...
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '40' },
    // Time spent under any frame whose "function file" matches (inclusive), one line per pattern.
    under: { type: 'string', multiple: true, default: [] },
  },
});
const file = positionals[0];
if (!file) throw new Error('usage: profile-summary <file.cpuprofile> [--top N]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) =>
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)),
);
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const shortUrl = (url: string) =>
  url
    .replace(/^file:\/\/.*?\/node_modules\//, '~/')
    .replace(/^file:\/\/.*?\/(src|bridges|bench)\//, '$1/');

function table(title: string, keyOf: (n: ProfileNode) => string): void {
  const sums = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const key = keyOf(byId.get(id)!);
    sums.set(key, (sums.get(key) ?? 0) + us);
  }
  console.log(`\n${title}`);
  for (const [key, us] of [...sums].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top)))
    console.log(
      `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`,
    );
}

console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`);
table('by function (self time)', (n) => {
  const f = n.callFrame;
  return `${f.functionName || '(anonymous)'}  ${shortUrl(f.url)}:${f.lineNumber + 1}`;
});
table('by file', (n) => shortUrl(n.callFrame.url) || `(${n.callFrame.functionName})`);

if (values.under.length > 0) {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: ProfileNode) => `${n.callFrame.functionName} ${shortUrl(n.callFrame.url)}`;
  console.log('\ninclusive (samples with a matching frame on their stack)');
  for (const pattern of values.under) {
    const re = new RegExp(pattern);
    let us = 0;
    for (const [id, t] of selfUs) {
      for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
        if (re.test(label(byId.get(n)!))) {
          us += t;
          break;
        }
      }
    }
    console.log(
      `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${pattern}`,
    );
  }
}
