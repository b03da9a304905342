// The `switchboard` command as an admin runs it: a child process (of this run's build, as the
// package's dist/src/cli.js runs) in a fresh folder. `init` writes a config with fresh secrets,
// `generate-registration` the file the homeserver loads, and `start` stops with a message naming
// the problem and its own exit code for a bad config (2), an unreachable homeserver (10, also TLS
// to a plain port), an as_token the homeserver does not know (11, real Synapse) and a port
// another program listens on (15).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { cliArgs } from '../support/cli-build.js';
import { requireSynapse } from '../support/synapse.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const RUN_TIMEOUT_MS = 45_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();

/** Runs `switchboard <args>` in `cwd` and waits for it to exit (killing it, by its PID, after a timeout). */
function cli(cwd: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArgs(...args), {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `switchboard ${args.join(' ')} did not exit within ${RUN_TIMEOUT_MS} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, RUN_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      children.delete(child);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A new empty folder for one run (left in the OS temp folder, like the harness's databases). */
const freshDir = () => mkdtempSync(join(tmpdir(), 'sb-cli-'));
const readYaml = (file: string) => parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
interface ConfigShape {
  homeserver: { url: string; domain: string };
  appservice: { as_token: string; hs_token: string; url: string };
  provisioning: { enabled: boolean; secret?: string };
}

/** A config for `start` against the test Synapse, with the test registration's tokens unless overridden. */
function startConfig(
  dir: string,
  overrides: { homeserverUrl?: string; asToken?: string; port?: number } = {},
): string {
  const { hsUrl, serverName } = requireSynapse();
  const file = join(dir, 'config.yaml');
  writeFileSync(
    file,
    stringify({
      homeserver: { url: overrides.homeserverUrl ?? hsUrl, domain: serverName },
      appservice: {
        port: overrides.port ?? 0,
        bind: '127.0.0.1',
        url: 'http://127.0.0.1:29380',
        as_token: overrides.asToken ?? 'test_as_token_1234567890',
        hs_token: 'test_hs_token_1234567890',
      },
      database: join(dir, 'switchboard.db'),
      logging: { level: 'error' },
      bridges: { echo: { enabled: true } },
    }),
  );
  return file;
}

// The runs are independent (a fresh folder each; port 0 or their own), and most of a run is
// starting Node or waiting on the homeserver: they run side by side, but for the one that times itself.
describe.concurrent('the switchboard command', () => {
  afterAll(() => {
    // Only our own children, by their PIDs: any still running after a failed test.
    for (const child of children) child.kill('SIGKILL');
  });

  // Alone, so that no other run's start-up slows it down.
  it.sequential(
    "`start` with https:// to the homeserver's plain HTTP port exits 10 within seconds, saying the port speaks plain HTTP",
    async () => {
      const dir = freshDir();
      startConfig(dir, { homeserverUrl: requireSynapse().hsUrl.replace('http://', 'https://') });
      const started = Date.now();
      const run = await cli(dir, 'start');
      expect(run.code, run.stderr).toBe(10);
      expect(run.stderr).toContain('speaks plain HTTP on that port, not TLS: use http://');
      // One handshake and one plain request (3 s each at most), not the retries (5 × 3 s + 7.5 s of
      // backoff: 22.5 s before the process start is counted).
      expect(Date.now() - started).toBeLessThan(20_000);
    },
  );

  it('`init` writes config.yaml with fresh random secrets, and refuses to overwrite it without --force', async ({
    expect,
  }) => {
    const dir = freshDir();
    const first = await cli(dir, 'init');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('Wrote config.yaml');
    const file = join(dir, 'config.yaml');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const config = readYaml(file) as unknown as ConfigShape;
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('CHANGE_ME');
    for (const secret of [
      config.appservice.as_token,
      config.appservice.hs_token,
      config.provisioning.secret,
    ]) {
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
    }
    expect(
      new Set([config.appservice.as_token, config.appservice.hs_token, config.provisioning.secret])
        .size,
    ).toBe(3);

    const again = await cli(dir, 'init');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('config.yaml exists; pass --force to overwrite it');
    expect(readFileSync(file, 'utf8')).toBe(text);

    const forced = await cli(dir, 'init', '--force');
    expect(forced.code, forced.stderr).toBe(0);
    const renewed = readYaml(file) as unknown as ConfigShape;
    expect(renewed.appservice.as_token).not.toBe(config.appservice.as_token);
    expect(renewed.appservice.hs_token).not.toBe(config.appservice.hs_token);

    const elsewhere = freshDir();
    expect((await cli(elsewhere, 'init')).code).toBe(0);
    const other = readYaml(join(elsewhere, 'config.yaml')) as unknown as ConfigShape;
    expect(other.appservice.as_token).not.toBe(config.appservice.as_token);
    expect(other.appservice.as_token).not.toBe(renewed.appservice.as_token);
    expect(other.appservice.hs_token).not.toBe(config.appservice.hs_token);
  });

  it('`generate-registration` writes the registration the homeserver loads', async ({ expect }) => {
    const dir = freshDir();
    expect((await cli(dir, 'init')).code).toBe(0);
    const config = readYaml(join(dir, 'config.yaml')) as unknown as ConfigShape;
    const run = await cli(dir, 'generate-registration');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Wrote registration.yaml');

    const file = join(dir, 'registration.yaml');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const reg = readYaml(file) as {
      namespaces: {
        users: { exclusive: boolean; regex: string }[];
        aliases: { exclusive: boolean; regex: string }[];
      };
      [key: string]: unknown;
    };
    expect(reg).toMatchObject({
      id: 'switchboard',
      url: config.appservice.url,
      as_token: config.appservice.as_token,
      hs_token: config.appservice.hs_token,
      sender_localpart: 'switchboard',
      rate_limited: false,
      receive_ephemeral: true,
      'de.sorunome.msc2409.push_ephemeral': true,
      protocols: ['echo'],
    });
    const domain = config.homeserver.domain;
    const matches = (list: { exclusive: boolean; regex: string }[], id: string) =>
      list.some((ns) => ns.exclusive && new RegExp(`^(?:${ns.regex})$`).test(id));
    expect(matches(reg.namespaces.users, `@echo_alice:${domain}`)).toBe(true);
    expect(matches(reg.namespaces.users, `@switchboard:${domain}`)).toBe(true);
    expect(matches(reg.namespaces.users, `@alice:${domain}`)).toBe(false);
    expect(matches(reg.namespaces.users, `@echo_alice:${domain}x`)).toBe(false);
    expect(matches(reg.namespaces.aliases, `#echo_lobby:${domain}`)).toBe(true);
    expect(matches(reg.namespaces.aliases, `#lobby:${domain}`)).toBe(false);
    expect(reg.namespaces.users.every((ns) => ns.exclusive)).toBe(true);
    expect(reg.namespaces.aliases.every((ns) => ns.exclusive)).toBe(true);
  });

  it('a config with a misspelt key exits 2 naming the key', async ({ expect }) => {
    const dir = freshDir();
    const file = startConfig(dir);
    writeFileSync(file, readFileSync(file, 'utf8').replace('domain:', 'domian:'));
    for (const command of ['start', 'generate-registration']) {
      const run = await cli(dir, command);
      expect(run.code, `${command}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain('config.yaml is not valid');
      expect(run.stderr).toMatch(/homeserver: unknown key "domian"/);
    }
  });

  it('a config without homeserver.url exits 2 naming the key', async ({ expect }) => {
    const dir = freshDir();
    const file = startConfig(dir);
    const config = readYaml(file) as unknown as ConfigShape;
    writeFileSync(file, stringify({ ...config, homeserver: { domain: config.homeserver.domain } }));
    const run = await cli(dir, 'start');
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/homeserver\.url: is required/);
  });

  it('`start` with an as_token the homeserver does not know exits 11 and points at the registration', async ({
    expect,
  }) => {
    const dir = freshDir();
    startConfig(dir, { asToken: 'not_the_registered_as_token_123' });
    const run = await cli(dir, 'start');
    expect(run.code, run.stderr).toBe(11);
    expect(run.stderr).toContain(
      'switchboard cannot start: the homeserver does not accept appservice.as_token',
    );
    expect(run.stderr).toMatch(/generate-registration/);
  });

  it('`start` with an unreachable homeserver exits 10 naming homeserver.url', async ({
    expect,
  }) => {
    const dir = freshDir();
    startConfig(dir, { homeserverUrl: 'http://127.0.0.1:1' });
    const run = await cli(dir, 'start');
    expect(run.code, run.stderr).toBe(10);
    expect(run.stderr).toContain(
      'switchboard cannot start: the homeserver at http://127.0.0.1:1 does not answer',
    );
    expect(run.stderr).toContain('check homeserver.url');
  });

  it('`start` on a port another program listens on exits 15 at once, naming the address and port', async ({
    expect,
  }) => {
    const other = createServer(() => undefined);
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const { port } = other.address() as AddressInfo;
    try {
      const dir = freshDir();
      startConfig(dir, { port });
      const run = await cli(dir, 'start');
      expect(run.code, run.stderr).toBe(15);
      expect(run.stderr).toContain(`cannot listen on 127.0.0.1:${port}: another program`);
      expect(run.stdout + run.stderr).not.toContain('switchboard is running');
    } finally {
      other.close();
    }
  });

  it('`--version` prints the version of the package', async ({ expect }) => {
    const run = await cli(freshDir(), '--version');
    expect(run.code, run.stderr).toBe(0);
    const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(run.stdout.trim()).toBe(version);
  });
});
