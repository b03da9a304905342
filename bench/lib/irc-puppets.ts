/**
 * The IRC benchmark's puppet run: N Matrix users each say one line, in two halves, the bridge's
 * memory read (after a full GC) before, between and after. Start-up and warm-up leave memory behind
 * that the allocator returns at unforeseeable times, which made RSS from before the first puppet
 * meaningless (it came out below zero at 500): the second half's growth is the steadier figure.
 */
import type { FakeHomeserver } from '../../test/support/fake-homeserver.js';
import type { BridgeProcess } from './bridge-handle.js';
import { DOMAIN } from './identities.js';
import type { Log } from './options.js';
import { sleep, waitUntil } from './pusher.js';
import { MB, round } from './stats.js';

export async function puppetScenario(run: {
  hs: FakeHomeserver;
  bridge: BridgeProcess;
  rooms: string[];
  /** Matrix users' lines as the IRC listener heard them, and when. */
  heard: Map<string, number>;
  puppets: number;
  connects: number;
  log: Log;
}) {
  const { hs, bridge, rooms, heard, log } = run;
  const channels = rooms.length;
  const half = Math.floor(run.puppets / 2);
  const crowd = Array.from({ length: run.puppets }, (_, k) => `@crowd${k}:${DOMAIN}`);
  crowd.forEach((u, k) => {
    hs.addUser(u, { displayname: `Crowd ${k}` });
    hs.join(rooms[k % channels]!, u);
  });
  await hs.stream!.idle(); // the joins
  const heardCrowd = () => [...heard.keys()].filter((k) => k.startsWith('c ')).length;
  /** Seconds until crowd users `from` to `to` all connected and spoke. */
  const speak = async (from: number, to: number) => {
    const started = performance.now();
    for (let k = from; k < to; k++)
      hs.send(rooms[k % channels]!, crowd[k]!, { msgtype: 'm.text', body: `c ${k}` });
    await waitUntil(() => heardCrowd() >= to, 600_000, 'every puppet connected');
    const lastHeard = Math.max(
      ...[...heard].filter(([k]) => k.startsWith('c ')).map(([, at]) => at),
    );
    await sleep(3_000); // joins and NAMES replies settle
    return (lastHeard - started) / 1000;
  };
  const before = await bridge.ask({ type: 'memory' }, 'memory', 60_000);
  let crowdSeconds = await speak(0, half);
  const mid = await bridge.ask({ type: 'memory' }, 'memory', 60_000);
  crowdSeconds += await speak(half, run.puppets);
  const after = await bridge.ask({ type: 'memory' }, 'memory', 60_000);
  const per = (from: typeof mid, to: typeof mid, puppets: number) => ({
    heapKiB: round((to.heapUsedBytes - from.heapUsedBytes) / puppets / 1024),
    rssKiB: round((to.rssBytes - from.rssBytes) / puppets / 1024),
  });
  const perPuppet = per(mid, after, run.puppets - half);
  const firstHalf = per(before, mid, half);
  log(
    `  ${run.puppets} puppets connected and spoke in ${round(crowdSeconds)} s (max_concurrent_connects ${run.connects})`,
  );
  log(
    `  memory per puppet after a full GC, from ${half} to ${run.puppets} puppets: heap ${perPuppet.heapKiB} KiB, RSS ${perPuppet.rssKiB} KiB; the first ${half}: heap ${firstHalf.heapKiB} KiB, RSS ${firstHalf.rssKiB} KiB (heap ${round(after.heapUsedBytes / MB)} MB, RSS ${round(after.rssBytes / MB)} MB in all)`,
  );
  return {
    puppets: run.puppets,
    puppetsSeconds: round(crowdSeconds, 2),
    maxConcurrentConnects: run.connects,
    perPuppet,
    firstHalf,
  };
}
