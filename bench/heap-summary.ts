/**
 * Where a V8 sampling heap profile (`.heapprofile`, bench/lib/heap-profiler.ts) allocated: bytes
 * by the allocating function (self), and by the nearest frame of a file matching `--own` on the
 * stack (whose code made the allocation happen: the bridge's, or a library's it called), for
 * reading the benchmark's profiles without a browser. `--per <n>`: also per unit of work (bytes
 * per packet: the number of packets the phase relayed).
 *
 *   npx tsx bench/heap-summary.ts <file.heapprofile> [--top 30] [--own bridges/sip/] [--per 185000]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '30' },
    own: { type: 'string', default: 'bridges/sip/' },
    per: { type: 'string' },
  },
});
const file = positionals[0];
if (!file)
  throw new Error('usage: heap-summary.ts <file.heapprofile> [--top N] [--own path] [--per N]');
const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode };
const top = Number(values.top);
const per = values.per !== undefined ? Number(values.per) : undefined;

const short = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\//, '~/')
    .replace(/^.*?\/(bridges|src|bench)\//, '$1/');
const name = (n: HeapNode) =>
  `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

const self = new Map<string, number>();
const owned = new Map<string, number>();
let total = 0;
const walk = (n: HeapNode, owner: string | undefined) => {
  const here = n.callFrame.url.includes(values.own) ? name(n) : owner;
  if (n.selfSize) {
    total += n.selfSize;
    self.set(name(n), (self.get(name(n)) ?? 0) + n.selfSize);
    const o = here ?? '(no frame of ' + values.own + ')';
    owned.set(o, (owned.get(o) ?? 0) + n.selfSize);
  }
  for (const c of n.children) walk(c, here);
};
walk(head, undefined);

const fmt = (bytes: number) =>
  `${(bytes / 1048576).toFixed(1).padStart(8)} MB ${((bytes / total) * 100).toFixed(1).padStart(5)} %` +
  (per ? ` ${(bytes / per).toFixed(0).padStart(6)} B/unit` : '');
console.log(
  `${file}: ${(total / 1048576).toFixed(1)} MB sampled${per ? `, ${(total / per).toFixed(0)} B per unit (${per})` : ''}`,
);
for (const [title, m] of [
  ['by allocating function (self)', self],
  [`by the nearest frame of ${values.own} on the stack`, owned],
] as const) {
  console.log(`\n${title}:`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${fmt(v)}  ${k}`);
}
