/**
 * V8 CPU profiles of the bridge process, one per benchmark phase (from a mark to the next stats),
 * through the inspector: `--cpu-prof` profiles the whole life of the process, set-up included.
 * The session's lifecycle and the files: inspector-session.ts.
 */
import type { Session } from 'node:inspector/promises';
import { InspectorPhaseProfiler } from './inspector-session.js';

export class PhaseProfiler extends InspectorPhaseProfiler {
  /** No directory: every call does nothing. */
  constructor(dir: string | undefined) {
    super(dir, 'cpuprofile');
  }

  protected async enable(session: Session): Promise<void> {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
  }

  protected async begin(session: Session): Promise<void> {
    await session.post('Profiler.start');
  }

  protected async end(session: Session): Promise<unknown> {
    return (await session.post('Profiler.stop')).profile;
  }
}
