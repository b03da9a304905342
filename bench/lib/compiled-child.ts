/**
 * The bridge (and the IRC pool) run in the benchmarks as admins run them: compiled by tsc, as
 * `npm start` runs `dist/`. Under tsx, esbuild wraps every function it names in a helper
 * call (`__name`), about a tenth of the IRC bridge's CPU per message. Built once per benchmark
 * run, incrementally (`tsconfig.bench.json`, into `dist/`), so a run never measures stale code.
 * `SWITCHBOARD_BENCH_TSX=1` runs the TypeScript through tsx instead (source lines in profiles).
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let built = false;

/** The script to fork for `tsScript` (a bench/ file) and the node flags it needs. */
export function compiledChild(tsScript: string): { script: string; execArgv: string[] } {
  // process.execArgv carries tsx's loader, so a child forked with it runs TypeScript too.
  if (process.env.SWITCHBOARD_BENCH_TSX === '1')
    return { script: tsScript, execArgv: process.execArgv };
  if (!built) {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.bench.json')], {
      stdio: 'inherit',
    });
    built = true;
  }
  const script = join(ROOT, 'dist', relative(ROOT, tsScript).replace(/\.ts$/, '.js'));
  return { script, execArgv: [] };
}
