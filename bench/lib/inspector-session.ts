/**
 * One profile of this (the bridge's) process per benchmark phase, from a mark to the next stats,
 * taken through an inspector session on the process itself: the lifecycle every phase profiler
 * shares. The session is opened at the first start; a start while a profile runs ends that one
 * first; each stop writes `<dir>/<pid>-phase<n>.<extension>`. A subclass says only how its
 * inspector domain is enabled, and how one profile starts and stops.
 */
import { Session } from 'node:inspector/promises';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export abstract class InspectorPhaseProfiler {
  private session: Session | undefined;
  private running = false;
  private phase = 0;

  /** No directory: every call does nothing. */
  constructor(
    private readonly dir: string | undefined,
    private readonly extension: string,
  ) {}

  /** Once, on the new session: enables the domain (and its settings). */
  protected abstract enable(session: Session): Promise<void>;
  /** Starts one profile. */
  protected abstract begin(session: Session): Promise<void>;
  /** Stops the profile under way: what to write to the phase's file. */
  protected abstract end(session: Session): Promise<unknown>;

  async start(): Promise<void> {
    if (!this.dir) return;
    if (!this.session) {
      this.session = new Session();
      this.session.connect();
      await this.enable(this.session);
    }
    if (this.running) await this.stop();
    await this.begin(this.session);
    this.running = true;
  }

  async stop(): Promise<void> {
    if (!this.dir || !this.session || !this.running) return;
    this.running = false;
    const profile = await this.end(this.session);
    const file = join(this.dir, `${process.pid}-phase${++this.phase}.${this.extension}`);
    await writeFile(file, JSON.stringify(profile));
  }
}
