/**
 * The XMPP bridge in the demo: Prosody on 127.0.0.1 (test/peers/xmpp.sh, as in the tests) with
 * users alice, bob, carol and dave @localhost (password `<name>-pw`), the MUC service
 * conference.localhost (the demo MUC demo@conference.localhost), HTTP upload, and the bridge's
 * component matrix.localhost; Matrix rooms are MUCs on the component too.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DemoError } from './demo-error.js';
import type { DemoPeer, DemoPeerContext } from './peers.js';

export const XMPP_DOMAIN = 'localhost';
export const XMPP_COMPONENT = 'matrix.localhost';
export const XMPP_MUC = `demo@conference.${XMPP_DOMAIN}`;

const env = (ctx: DemoPeerContext) => ({
  XMPP_C2S_PORT: String(ctx.opts.ports.xmpp),
  XMPP_COMPONENT_PORT: String(ctx.opts.ports.xmppComponent),
  XMPP_HTTP_PORT: String(ctx.opts.ports.xmppHttp),
  // As the XMPP README advises admins: Prosody's Nagle would hold stanzas for the bridge up to 40 ms.
  XMPP_NAGLE: 'off',
});

/** Whether `prosody` can be run (also from /usr/sbin, off a normal user's PATH). */
function haveProsody(): boolean {
  if (existsSync('/usr/bin/prosody') || existsSync('/usr/sbin/prosody')) return true;
  try {
    execFileSync('sh', ['-c', 'command -v prosody'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why Prosody cannot be installed here (not root), with the command to run; undefined when it can. */
export function prosodyInstallProblem(
  installed: boolean,
  uid: number | undefined,
): string | undefined {
  if (installed || uid === 0) return undefined;
  return (
    'Prosody (the demo XMPP server) is not installed, and installing it needs root. Run:\n' +
    '  sudo apt-get update && sudo apt-get install -y --no-install-recommends prosody\n' +
    'then run the demo again. (Debian and Ubuntu; elsewhere, install Prosody 0.12 with your package manager.)'
  );
}

export const xmppPeer: DemoPeer = {
  bridge: 'xmpp',
  ports: [
    {
      key: 'xmpp',
      flag: '--xmpp-port',
      what: 'the XMPP server (Prosody) for clients',
      default: 5222,
    },
    {
      key: 'xmppComponent',
      flag: '--xmpp-component-port',
      what: "the XMPP server's component port (Prosody)",
      default: 5347,
    },
    {
      key: 'xmppHttp',
      flag: '--xmpp-http-port',
      what: "the XMPP server's HTTP upload (Prosody)",
      default: 5280,
    },
  ],
  async install(ctx) {
    const installed = haveProsody();
    const problem = prosodyInstallProblem(installed, process.getuid?.());
    if (problem) throw new DemoError(problem);
    if (!installed) await ctx.scripts.run('xmpp.sh', ['install'], env(ctx));
  },
  start: (ctx) => ctx.scripts.run('xmpp.sh', ['start'], env(ctx)),
  stop: (ctx) => ctx.scripts.run('xmpp.sh', ['stop'], env(ctx)),
  section: (ctx) => ({
    host: '127.0.0.1',
    port: ctx.opts.ports.xmppComponent,
    domain: XMPP_COMPONENT,
    // test/peers/xmpp.sh's: a loopback-only server that lives as long as the demo.
    secret: 'matrixsecret',
    // Files uploaded to the demo's Prosody are on 127.0.0.1.
    media: { allow_private_addresses: true },
    // A sandbox: the demo MUC (and any other a user tries by its alias) is made by the first
    // Matrix user's join, and the bridge unlocks it (bridges/xmpp/README.md, create_rooms).
    create_rooms: true,
  }),
  rooms: () => [
    {
      aliasLocalpart: XMPP_MUC.replace('@', '=40'),
      about: `the XMPP MUC ${XMPP_MUC}`,
    },
  ],
  outsideTitle: 'From any XMPP client (Gajim, Dino; plain connection, no TLS)',
  outside: (ctx) => [
    ['server', `127.0.0.1 port ${ctx.opts.ports.xmpp}`],
    ['xmpp user', `alice@${XMPP_DOMAIN}`],
    ['xmpp pass', 'alice-pw   (also bob, carol, dave: <name>-pw)'],
    ['muc', XMPP_MUC],
    [
      'gateway',
      `#echo_lobby#${ctx.opts.serverName}@${XMPP_COMPONENT}   (a Matrix room as a MUC; its echo answers Matrix users only)`,
    ],
    ['chat with', `demo\\3a${ctx.opts.serverName}@${XMPP_COMPONENT}   (the demo Matrix user)`],
  ],
};
