#!/usr/bin/env node
/** The `switchboard` command: init, generate-registration, start, and the bridges' own (irc-pool). */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { availableConnectors, bridgeSubcommands } from './bridges.js';
import { ConfigError, loadConfig } from './config/load.js';
import { registrationYaml } from './core/registration.js';
import { EXIT, StartupError } from './core/startup-checks.js';
import { Switchboard } from './core/switchboard.js';
import { addDemoCommand } from './demo/command.js';
import { createLogger } from './observability/logger.js';

/** A file at the package root, above src/ (or dist/src/): config.sample.yaml, package.json. */
function packageFile(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, name)) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, name);
}

const { version } = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as {
  version: string;
};

const secret = () => randomBytes(32).toString('base64url');

function fail(err: unknown): never {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(EXIT.config);
  }
  if (err instanceof StartupError) {
    console.error(`switchboard cannot start: ${err.message}`);
    process.exit(err.exitCode);
  }
  console.error(err instanceof Error ? `switchboard: ${err.message}` : err);
  process.exit(1);
}

const program = new Command('switchboard')
  .description(
    `A Matrix appservice bridge framework. Bridges in this build: ${availableConnectors()
      .map((c) => c.id)
      .join(', ')}`,
  )
  .version(version, '-V, --version', 'print the version');

program
  .command('init')
  .description('write config.yaml from config.sample.yaml with fresh random tokens')
  .option('-o, --output <file>', 'where to write it', 'config.yaml')
  .option('-f, --force', 'overwrite an existing file')
  .action((opts: { output: string; force?: boolean }) => {
    if (existsSync(opts.output) && !opts.force)
      fail(new Error(`${opts.output} exists; pass --force to overwrite it`));
    const text = readFileSync(packageFile('config.sample.yaml'), 'utf8')
      .replace('CHANGE_ME_AS_TOKEN', secret())
      .replace('CHANGE_ME_HS_TOKEN', secret())
      .replace('# secret: CHANGE_ME_PROVISIONING_SECRET', `secret: ${secret()}`);
    writeFileSync(opts.output, text, { mode: 0o600 });
    console.log(
      `Wrote ${opts.output}. Set homeserver.url and homeserver.domain, then run generate-registration.`,
    );
  });

program
  .command('generate-registration')
  .description('write the appservice registration file the homeserver loads')
  .option('-c, --config <file>', 'config file', 'config.yaml')
  .option('-o, --output <file>', 'registration file', 'registration.yaml')
  .action((opts: { config: string; output: string }) => {
    try {
      writeFileSync(opts.output, registrationYaml(loadConfig(opts.config)), { mode: 0o600 });
      console.log(
        `Wrote ${opts.output}. Add it to the homeserver's app_service_config_files and restart the homeserver.`,
      );
    } catch (err) {
      fail(err);
    }
  });

program
  .command('start')
  .description('run the bridge')
  .option('-c, --config <file>', 'config file', 'config.yaml')
  .action(async (opts: { config: string }) => {
    let bridge: Switchboard | undefined;
    try {
      const config = loadConfig(opts.config);
      const log = createLogger({ level: config.logging.level, pretty: config.logging.pretty });
      bridge = new Switchboard(config, availableConnectors(), log);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'stopping: draining the queues');
        void bridge!.stop().then(
          () => process.exit(0),
          (err: unknown) => fail(err),
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      await bridge.start();
    } catch (err) {
      await bridge?.stop().catch(() => undefined);
      fail(err);
    }
  });

for (const sub of bridgeSubcommands()) {
  program
    .command(sub.name)
    .description(sub.description)
    .option('-c, --config <file>', 'config file', 'config.yaml')
    .action(async (opts: { config: string }) => {
      try {
        const config = loadConfig(opts.config);
        const log = createLogger({ level: config.logging.level, pretty: config.logging.pretty });
        const stop = await sub.run(config.bridges[sub.bridge], log);
        let stopping = false;
        const onSignal = (signal: string) => {
          if (stopping) return;
          stopping = true;
          log.info({ signal }, `${sub.name}: stopping`);
          void stop().then(
            () => process.exit(0),
            (err: unknown) => fail(err),
          );
        };
        process.on('SIGTERM', () => onSignal('SIGTERM'));
        process.on('SIGINT', () => onSignal('SIGINT'));
      } catch (err) {
        fail(err);
      }
    });
}

addDemoCommand(program);

await program.parseAsync();
