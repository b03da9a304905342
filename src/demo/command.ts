/** The `demo` command of the CLI. */
import type { Command } from 'commander';
import { availableConnectors } from '../bridges.js';
import { DemoError } from './demo-error.js';
import { CORE_PORTS, resolveOptions, type RawDemoOptions } from './options.js';
import { DEMO_PEERS } from './peers.js';
import { runDemo } from './run.js';

export function addDemoCommand(program: Command): void {
  const ports = [...CORE_PORTS, ...DEMO_PEERS.flatMap((p) => p.ports)];
  const cmd = program
    .command('demo')
    .description(
      'a whole bridged world on 127.0.0.1 (Synapse, an IRC server, the bridge), for a first try or a bug report; Ctrl-C stops it',
    )
    .option('--dir <folder>', 'state folder: installs, configs, logs', '.demo')
    .option('--server-name <name>', 'the homeserver server name', 'localhost')
    .option(
      '--synapse-venv <folder>',
      'Python venv of Synapse (default: $SYNAPSE_VENV, else <dir>/synapse-venv)',
    )
    .option('--log-level <level>', 'the bridge log level', 'info');
  for (const p of ports) cmd.option(`${p.flag} <port>`, `port of ${p.what}`, String(p.default));
  cmd.action(async (raw: RawDemoOptions) => {
    let code: number;
    try {
      code = await runDemo(resolveOptions(raw, ports), DEMO_PEERS, availableConnectors());
    } catch (err) {
      console.error(`switchboard demo: ${(err as Error).message}`);
      code = err instanceof DemoError ? err.exitCode : 1;
    }
    process.exit(code);
  });
}
