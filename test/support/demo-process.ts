// `switchboard demo` as a child process, as a new user runs it: started on free ports with a state
// folder of its own (and the test run's Synapse venv, so nothing is pip-installed), waited for,
// interrupted and cleaned up after; and what its banner says, read back.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { freePort } from './free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliArgs } from './cli-build.js';
import { requireSynapse, waitFor } from './synapse.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const UP_TIMEOUT_MS = 120_000;

export const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

export interface Ports {
  hs: number;
  bridge: number;
  irc: number;
  xmpp: number;
  xmppComponent: number;
  xmppHttp: number;
  sip: number;
  sipWs: number;
}

/** Free ports for everything the demo listens on. */
export async function freePorts(): Promise<Ports> {
  const [hs, bridge, irc, xmpp, xmppComponent, xmppHttp, sip, sipWs] = await Promise.all(
    Array.from({ length: 8 }, () => freePort()),
  );
  return {
    hs: hs!,
    bridge: bridge!,
    irc: irc!,
    xmpp: xmpp!,
    xmppComponent: xmppComponent!,
    xmppHttp: xmppHttp!,
    sip: sip!,
    sipWs: sipWs!,
  };
}

export interface Demo {
  proc: ChildProcess;
  dir: string;
  out: () => string;
  exited: Promise<number | null>;
}

/** `switchboard demo` with these ports, in a fresh state folder. */
export function startDemo(ports: Ports, dir = mkdtempSync(join(tmpdir(), 'sb-demo-'))): Demo {
  const venv = process.env.SYNAPSE_VENV ?? join(requireSynapse().peersDir, 'synapse-venv');
  const args = [
    ...['--hs-port', ports.hs, '--bridge-port', ports.bridge, '--irc-port', ports.irc],
    ...['--xmpp-port', ports.xmpp, '--xmpp-component-port', ports.xmppComponent],
    ...['--xmpp-http-port', ports.xmppHttp],
    ...['--sip-port', ports.sip, '--sip-ws-port', ports.sipWs],
  ];
  const proc = spawn(process.execPath, cliArgs('demo', '--dir', dir, ...args.map(String)), {
    cwd: REPO,
    env: { ...process.env, SYNAPSE_VENV: venv, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  proc.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => resolve(code)),
  );
  return { proc, dir, out: () => out, exited };
}

/** Waits for the banner; returns how long it took and the servers' PIDs (from their PID files). */
export async function waitUp(demo: Demo): Promise<{ ms: number; pids: Record<string, number> }> {
  const t0 = Date.now();
  await waitFor(
    () => {
      if (demo.proc.exitCode !== null) throw new Error(`the demo exited:\n${demo.out()}`);
      return demo.out().includes('Ctrl-C stops everything');
    },
    UP_TIMEOUT_MS,
    'the demo banner',
    100,
  );
  const pids: Record<string, number> = {};
  for (const name of ['synapse', 'inspircd', 'prosody', 'kamailio'])
    pids[name] = Number(readFileSync(join(demo.dir, `${name}.pid`), 'utf8'));
  return { ms: Date.now() - t0, pids };
}

/** SIGINT, then the exit code (within 40 s). */
export async function interrupt(demo: Demo): Promise<number | null> {
  demo.proc.kill('SIGINT');
  return Promise.race([
    demo.exited,
    new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`no exit 40 s after SIGINT:\n${demo.out()}`)),
        40_000,
      ).unref(),
    ),
  ]);
}

/** After a test: SIGKILL a demo still running, then stop what it left, by its PID files. */
export async function cleanUp(demo: Demo | undefined): Promise<void> {
  if (!demo) return;
  if (demo.proc.exitCode === null && demo.proc.signalCode === null) {
    demo.proc.kill('SIGKILL');
    await demo.exited;
  }
  for (const script of ['irc.sh', 'xmpp.sh', 'sip.sh', 'synapse.sh'])
    execFileSync('bash', [join(REPO, 'test/peers', script), 'stop'], {
      env: { ...process.env, PEERS_DIR: demo.dir },
      stdio: 'ignore',
    });
}

/** The banner's lines under `title` (up to the next blank line): labels repeat across networks. */
export function section(out: string, title: string): string {
  const at = out.indexOf(`\n${title}`);
  if (at < 0) throw new Error(`the demo printed no "${title}" section:\n${out}`);
  const rest = out.slice(at + 1);
  const end = rest.indexOf('\n\n');
  return end < 0 ? rest : rest.slice(0, end);
}

/** `  label  value` from the banner (its first word, or its first `words`). */
export function field(out: string, label: string): string;
export function field(out: string, label: string, words: number): string[];
export function field(out: string, label: string, words?: number): string | string[] {
  const match = new RegExp(`^  ${label} +(.+)$`, 'm').exec(out);
  if (!match) throw new Error(`the demo printed no "${label}" line:\n${out}`);
  const all = match[1]!.trim().split(/\s+/);
  return words === undefined ? all[0]! : all.slice(0, words);
}

export const roomAliases = (out: string) =>
  [...out.matchAll(/^ {2}(?:rooms)? +(#\S+:\S+) {3}\(/gm)].map((m) => m[1]!);
