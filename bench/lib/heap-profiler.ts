/**
 * V8 sampling heap profiles of the bridge process, one per benchmark phase (from a mark to the
 * next stats), through the inspector: where its JavaScript allocates, objects the garbage
 * collector has since freed included (a young-generation collection's and a full one's), so that
 * a profile shows the garbage a relayed packet makes, function by function. With the SIP bridge's
 * `--threads 0`, the relays run on this (the main) thread. Read with bench/heap-summary.ts.
 * The session's lifecycle and the files: inspector-session.ts.
 */
import type { Session } from 'node:inspector/promises';
import { InspectorPhaseProfiler } from './inspector-session.js';

export class HeapPhaseProfiler extends InspectorPhaseProfiler {
  /** No directory: every call does nothing. */
  constructor(dir: string | undefined) {
    super(dir, 'heapprofile');
  }

  protected async enable(session: Session): Promise<void> {
    await session.post('HeapProfiler.enable');
  }

  protected async begin(session: Session): Promise<void> {
    // Every 1 KB allocated on average (V8's default is 32 KB): enough samples per packet's kind.
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    } as never);
  }

  protected async end(session: Session): Promise<unknown> {
    return (await session.post('HeapProfiler.stopSampling')).profile;
  }
}
