// The `switchboard` command for the tests' child processes, compiled once per run: tsx compiles
// the ~360 TypeScript files again in every child (3-4 s per start on a 2-core machine), while
// the plain JavaScript starts in about a second, as an installed package runs dist/src/cli.js.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The folder buildCli made for this run. */
    cliBuild: string;
  }
}

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Compiles src/ and bridges/ (not their tests), file by file as tsc does, into a fresh folder
 * under node_modules/.cache: from there package.json, config.sample.yaml, test/peers and the
 * dependencies are found by walking up, as from dist/. Type errors are `npm run typecheck`'s job.
 * Returns the folder; removeCliBuild removes it.
 */
export function buildCli(): string {
  const cache = join(REPO, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const outdir = mkdtempSync(join(cache, 'switchboard-cli-'));
  const entryPoints = ['src', 'bridges'].flatMap((top) =>
    readdirSync(join(REPO, top), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !/\.(test|d)\.ts$/.test(file))
      .map((file) => join(REPO, top, file)),
  );
  buildSync({
    entryPoints,
    outdir,
    outbase: REPO,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  return outdir;
}

export function removeCliBuild(outdir: string): void {
  rmSync(outdir, { recursive: true, force: true });
}

/** `node` arguments that run `switchboard <args>` from this run's build. */
export function cliArgs(...args: string[]): string[] {
  return [join(inject('cliBuild'), 'src', 'cli.js'), ...args];
}
