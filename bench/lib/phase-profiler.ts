/**
 * V8 CPU profiles of the bridge process, one per benchmark phase (from a mark to the next stats),
 * through the inspector: `--cpu-prof` profiles the whole life of the process, set-up included.
 */
import { Session } from 'node:inspector/promises';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export class PhaseProfiler {
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
      await this.session.post('Profiler.enable');
      await this.session.post('Profiler.setSamplingInterval', { interval: 200 });
    }
    if (this.running) await this.stop();
    await this.session.post('Profiler.start');
    this.running = true;
  }

  async stop(): Promise<void> {
    if (!this.dir || !this.session || !this.running) return;
    this.running = false;
    const { profile } = await this.session.post('Profiler.stop');
    const file = join(this.dir, `${process.pid}-phase${++this.phase}.cpuprofile`);
    await writeFile(file, JSON.stringify(profile));
  }
}
