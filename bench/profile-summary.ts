/**
 * The functions and files that took the most CPU in a V8 `.cpuprofile` (self time), for reading
 * the benchmark's profiles without a browser.
 *
 *   npx tsx bench/profile-summary.ts <file.cpuprofile> [--top 40] [--under <regex>]...
 *     [--split <bridge id> [--library <regex>]]
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
    // Busy time by who spent it (a bridge id: `--split xmpp`; see the end of this file).
    split: { type: 'string' },
    library: { type: 'string', default: '^~/(@xmpp/|ltx/)' },
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

/**
 * `--split <bridge id>`: the busy time (idle left out) by who spent it. Each sample goes to the
 * innermost frame on its stack that belongs to someone: the connector (`bridges/<id>/`), its
 * network library (`--library`, default `@xmpp/*` and `ltx`), core's format conversion
 * (`src/format/`), the rest of core (`src/`, by file); native frames, Node's internals and other
 * packages (undici, kysely) count for whoever called them. GC and samples no one owns apart.
 * Then core's costliest functions (self and total time, as shares of the busy time).
 */
/** Packages core uses on its own (their callbacks are core's work). */
const CORE_PACKAGES: Record<string, string> = {
  undici: 'core: matrix (undici: HTTP to the homeserver)',
  kysely: 'core: store (kysely)',
  'better-sqlite3': 'core: store (kysely)',
  'prom-client': 'core: metrics',
  pino: 'core: logs',
};
if (values.split) {
  // Each sample weighs the median interval: a sample after a gap (the process waited for a core
  // on a loaded machine) carries the whole gap in its time delta, which is not CPU.
  const sorted = [...profile.timeDeltas].sort((a, b) => a - b);
  const interval = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const selfUs = new Map<number, number>();
  for (const id of profile.samples) selfUs.set(id, (selfUs.get(id) ?? 0) + interval);
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const library = new RegExp(values.library);
  const owner = (n: ProfileNode): string | undefined => {
    const url = shortUrl(n.callFrame.url);
    if (url.startsWith(`bridges/${values.split}/`)) return 'connector';
    if (library.test(url)) return 'library';
    if (url.startsWith('src/format/')) return 'core: format';
    if (url.startsWith('src/')) return `core: ${url.split('/')[1]}`;
    return undefined;
  };
  const sums = new Map<string, number>();
  const coreSelf = new Map<string, number>();
  const ownSelf = new Map<string, number>();
  const coreTotal = new Map<string, number>();
  let busy = 0;
  let profiler = 0;
  const fnKey = (n: ProfileNode) =>
    `${n.callFrame.functionName || '(anonymous)'}  ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  for (const [id, us] of selfUs) {
    const leaf = byId.get(id)!;
    const name = leaf.callFrame.functionName;
    if (name === '(idle)') continue;
    let who: string | undefined;
    if (name === '(garbage collector)') who = 'GC';
    let coreFrame: ProfileNode | undefined;
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const node = byId.get(n)!;
      const o = owner(node);
      if (o && !who) {
        who = o;
        if (o === 'connector' || o === 'library') {
          const k = `${o}: ${fnKey(node)}`;
          ownSelf.set(k, (ownSelf.get(k) ?? 0) + us);
        }
      }
      if (o?.startsWith('core')) {
        const k = fnKey(node);
        coreFrame ??= node;
        if (!seen.has(k)) coreTotal.set(k, (coreTotal.get(k) ?? 0) + us);
        seen.add(k);
      }
    }
    // No one's on the stack: the profiler's own work (bench/), else the innermost package
    // (core's HTTP client and SQLite layer run from their own callbacks: named as core's), else
    // Node's internals, else the native leaf.
    let pkg: string | undefined;
    let node = false;
    for (let n: number | undefined = id; n !== undefined && !who; n = parent.get(n)) {
      const url = shortUrl(byId.get(n)!.callFrame.url);
      if (url.startsWith('bench/')) who = 'the profiler';
      else if (url.startsWith('~/')) pkg ??= url.split('/')[1];
      else if (url.startsWith('node:')) node = true;
    }
    if (!who && pkg) who = CORE_PACKAGES[pkg] ?? `other: ${pkg}`;
    if (!who && node) who = 'other: node';
    who ??= `other: ${name || '(anonymous)'}`;
    if (who === 'the profiler') {
      profiler += us;
      continue;
    }
    busy += us;
    sums.set(who, (sums.get(who) ?? 0) + us);
    if (coreFrame && who.startsWith('core')) {
      const k = fnKey(coreFrame);
      coreSelf.set(k, (coreSelf.get(k) ?? 0) + us);
    }
  }
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
  console.log(
    `\nbusy ${(busy / 1000).toFixed(0)} ms (samples × their median interval, ${interval} µs; idle and the profiler's own ${(profiler / 1000).toFixed(0)} ms left out), by who spent it`,
  );
  let coreAll = 0;
  for (const [k, us] of [...sums].sort((a, b) => b[1] - a[1])) {
    if (k.startsWith('core')) coreAll += us;
    console.log(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
  }
  console.log(`${pct(coreAll)}  ${(coreAll / 1000).toFixed(0).padStart(6)} ms  core, all of it`);
  console.log('\ncore functions, self (with what they call outside core) / total');
  for (const [k, us] of [...coreSelf].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top)))
    console.log(`${pct(us)} / ${pct(coreTotal.get(k) ?? 0)}  ${k}`);
  console.log('\nthe connector and its library, by function (with what they call outside them)');
  for (const [k, us] of [...ownSelf].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top)))
    console.log(`${pct(us)}  ${k}`);
}
