/** The IRC bridge in the demo: one InspIRCd on 127.0.0.1 (plaintext), network `demo`, channel #demo. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DemoError } from './demo-error.js';
import type { DemoPeer, DemoPeerContext } from './peers.js';

export const IRC_NETWORK = 'demo';
export const IRC_CHANNEL = '#demo';

const port = (ctx: DemoPeerContext) => ctx.opts.ports.irc!;
const env = (ctx: DemoPeerContext) => ({ IRC_PORT: String(port(ctx)), IRC_NETWORK: 'Demo' });

/** Whether `inspircd` can be run (also from /usr/sbin, off a normal user's PATH). */
function haveInspircd(): boolean {
  if (existsSync('/usr/sbin/inspircd')) return true;
  try {
    execFileSync('sh', ['-c', 'command -v inspircd'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why InspIRCd cannot be installed here (not root), with the command to run; undefined when it can. */
export function installProblem(installed: boolean, uid: number | undefined): string | undefined {
  if (installed || uid === 0) return undefined;
  return (
    'InspIRCd (the demo IRC server) is not installed, and installing it needs root. Run:\n' +
    '  sudo apt-get update && sudo apt-get install -y --no-install-recommends inspircd\n' +
    'then run the demo again. (Debian and Ubuntu; elsewhere, install InspIRCd 3 with your package manager.)'
  );
}

export const ircPeer: DemoPeer = {
  bridge: 'irc',
  ports: [{ key: 'irc', flag: '--irc-port', what: 'the IRC server (InspIRCd)', default: 6667 }],
  async install(ctx) {
    const installed = haveInspircd();
    const problem = installProblem(installed, process.getuid?.());
    if (problem) throw new DemoError(problem);
    if (!installed) await ctx.scripts.run('irc.sh', ['install-inspircd'], env(ctx));
  },
  start: (ctx) => ctx.scripts.run('irc.sh', ['start-inspircd'], env(ctx)),
  stop: (ctx) => ctx.scripts.run('irc.sh', ['stop'], env(ctx)),
  section: (ctx) => ({
    networks: {
      [IRC_NETWORK]: {
        host: '127.0.0.1',
        port: port(ctx),
        tls: false,
        channels: [{ name: IRC_CHANNEL }],
        // The local server has no flood limits; the bridge's pacing can be brisk.
        flood: { lines_per_second: 10, burst: 20 },
      },
    },
  }),
  rooms: () => [
    {
      aliasLocalpart: `${IRC_NETWORK}_${IRC_CHANNEL}`,
      about: `the IRC channel ${IRC_CHANNEL}`,
    },
  ],
  outsideTitle: 'From any IRC client',
  outside: (ctx) => [
    ['host', '127.0.0.1'],
    ['port', `${port(ctx)} (plain, no TLS)`],
    ['channel', IRC_CHANNEL],
  ],
};
