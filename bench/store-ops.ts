/**
 * CPU per store operation of one relayed message, the store alone (no bridge, no HTTP): an outbox
 * entry added and completed with its mapping (network → Matrix), a one-event inbox transaction and
 * its outcome (Matrix → network), and a mapping lookup that misses. On a machine shared with other
 * work these are steadier than a whole bridge's CPU per message. `--checkout` runs another
 * checkout's store (an old build, for alternated runs); `--memory` a `:memory:` database (no log
 * sync, no checkpoints: the statements' and their plumbing's CPU only).
 *
 *   npx tsx bench/store-ops.ts [--checkout /path/to/other/worktree] [--memory] [--ops 20000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Store } from '../src/store/store.js';

const { values } = parseArgs({
  options: {
    checkout: { type: 'string', default: resolve(import.meta.dirname, '..') },
    memory: { type: 'boolean', default: false },
    ops: { type: 'string', default: '20000' },
  },
});
const ops = Number(values.ops);
const { openStore } = (await import(join(values.checkout, 'src/store/open-store.ts'))) as {
  openStore(url: string): Promise<Store>;
};
const dir = mkdtempSync(join(tmpdir(), 'store-ops-'));
const store = await openStore(values.memory ? ':memory:' : join(dir, 'store.db'));

async function measure(label: string, op: (i: number) => Promise<unknown>): Promise<void> {
  const cpu = process.cpuUsage();
  for (let i = 0; i < ops; i++) await op(i);
  const used = process.cpuUsage(cpu);
  console.log(`${label}: ${((used.user + used.system) / ops).toFixed(1)} µs CPU an operation`);
}

let n = 0;
console.log(`store at ${values.checkout}${values.memory ? ' (:memory:)' : ''}, ${ops} operations`);
for (let round = 1; round <= 3; round++) {
  console.log(`round ${round}`);
  await measure('  outbox add, then complete with its mapping', async () => {
    const entry = await store.outbox.add({ bridge: 'b', roomId: '!r:x', json: '{"a":1}' }, false);
    n++;
    const mapping = { bridge: 'b', portalKey: 'p', remoteId: `r${n}`, roomId: '!r:x' };
    void store.outbox.complete(entry.id, { ...mapping, eventId: `$e${n}` });
  });
  await measure('  inbox transaction of one event, then its outcome', async () => {
    const eventId = `$ev${++n}`;
    await store.inbox.addTransaction(`t${n}`, [{ eventId, roomId: '!r:x', json: '{}' }]);
    await store.inbox.finish([{ eventId, state: 'done', bridge: 'b' }]);
  });
  await measure('  message map lookup that misses', (i) =>
    store.messages.byRemote('b', 'p', `x${i}`),
  );
}
await store.close();
rmSync(dir, { recursive: true, force: true });
