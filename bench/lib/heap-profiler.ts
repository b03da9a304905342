/**
 * V8 sampling heap profiles of the bridge process, one per benchmark phase (from a mark to the
 * next stats), through the inspector: where its JavaScript allocates, objects the garbage
 * collector has since freed included (a young-generation collection's and a full one's), so that
 * a profile shows the garbage a relayed packet makes, function by function. With the SIP bridge's
 * `--threads 0`, the relays run on this (the main) thread. Read with bench/heap-summary.ts.
 */
import { Session } from 'node:inspector/promises';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export class HeapPhaseProfiler {
  private session: Session | undefined;
  private running = false;
  private phase = 0;

  /** No directory: every call does nothing. */
  constructor(private readonly dir: string | undefined) {}

  async start(): Promise<void> {
    if (!this.dir) return;
    if (!this.session) {
      this.session = new Session();
      this.session.connect();
      await this.session.post('HeapProfiler.enable');
    }
    if (this.running) await this.stop();
    // Every 1 KB allocated on average (V8's default is 32 KB): enough samples per packet's kind.
    await this.session.post('HeapProfiler.startSampling', {
      samplingInterval: 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    } as never);
    this.running = true;
  }

  async stop(): Promise<void> {
    if (!this.dir || !this.session || !this.running) return;
    this.running = false;
    const { profile } = await this.session.post('HeapProfiler.stopSampling');
    const file = join(this.dir, `${process.pid}-phase${++this.phase}.heapprofile`);
    await writeFile(file, JSON.stringify(profile));
  }
}
