/**
 * The XMPP benchmark's memory figure: Matrix users entering the MUC after the runs (each one
 * more occupant the bridge knows), the bridge's heap before and after, and what entering cost
 * the bridge and Prosody.
 */
import type { FromBridge } from '../bridge-process.js';
import type { BridgeProcess } from './bridge-handle.js';
import { sleep } from './pusher.js';
import { MB, round } from './stats.js';

type Memory = Extract<FromBridge, { type: 'memory' }>;

export interface CrowdRun {
  bridge: BridgeProcess;
  /** Matrix users enter the room; resolves once all are occupants (for `occupants: members`). */
  enter(users: string[], name: (k: number) => string): Promise<void>;
  /** Where they went: `the MUC`, or the Matrix room only (`occupants: speakers`). */
  entered: string;
  prosodyFrom(): void;
  prosodyPer(n: number): string;
  /** The bridge's memory after the warm-up, before the runs. */
  memory0: Memory;
  domain: string;
}

export async function crowdLine(run: CrowdRun, userCount: number): Promise<string> {
  const { bridge } = run;
  const crowd = Array.from({ length: userCount }, (_, k) => `@crowd${k}:${run.domain}`);
  await sleep(2000); // what the runs left settles (debounced store writes, timers)
  const memory1 = await bridge.ask({ type: 'memory' }, 'memory', 60_000);
  await bridge.ask({ type: 'mark' }, 'marked');
  run.prosodyFrom();
  const t0 = performance.now();
  await run.enter(crowd, (k) => `Crowd ${k}`);
  const enterMs = performance.now() - t0;
  const stats = await bridge.ask({ type: 'stats' }, 'stats');
  const prosody = run.prosodyPer(userCount).replace('/msg', ' a user');
  await sleep(1500); // the occupants' store writes (debounced) land
  const memory2 = await bridge.ask({ type: 'memory' }, 'memory', 60_000);
  const afterRuns = round((memory1.heapUsedBytes - run.memory0.heapUsedBytes) / MB, 1);
  const perUser = round((memory2.heapUsedBytes - memory1.heapUsedBytes) / userCount / 1024, 2);
  return `memory: heap ${round(memory2.heapUsedBytes / MB)} MB, RSS ${round(memory2.rssBytes / MB)} MB (${afterRuns} MB more heap after the runs); ${userCount} Matrix users entered ${run.entered} in ${round(enterMs / 1000, 1)} s (bridge CPU ${round(stats.cpuMs / userCount, 2)} ms a user, ${prosody}); about ${perUser} KiB heap per Matrix user known to XMPP`;
}
