/**
 * The SIP bridge in the demo: Kamailio on 127.0.0.1 (test/peers/sip.sh, as in the tests) with the
 * bridge's trunk account and two softphone accounts (alice, bob); the demo number rings the demo
 * user in Matrix.
 */
import { existsSync } from 'node:fs';
import { DemoError } from './demo-error.js';
import type { DemoPeer, DemoPeerContext } from './peers.js';

/** The number a softphone dials to ring the demo user in Matrix. */
export const SIP_DEMO_NUMBER = '+15550100';
/** The Matrix user the demo registers (run.ts's DEMO_USER). */
const DEMO_USER = 'demo';

const KAMAILIO = '/usr/sbin/kamailio';
const WS_MODULE = '/usr/lib/x86_64-linux-gnu/kamailio/modules/websocket.so';

const sipPort = (ctx: DemoPeerContext) => ctx.opts.ports.sip!;
const wsPort = (ctx: DemoPeerContext) => ctx.opts.ports.sipWs!;
const env = (ctx: DemoPeerContext) => ({
  SIP_PORT: String(sipPort(ctx)),
  SIP_WS_PORT: String(wsPort(ctx)),
});

/** Why Kamailio cannot be installed here (not root), with the command to run; undefined when it can. */
export function sipInstallProblem(installed: boolean, uid: number | undefined): string | undefined {
  if (installed || uid === 0) return undefined;
  return (
    'Kamailio (the demo SIP server) is not installed, and installing it needs root. Run:\n' +
    '  sudo apt-get update && sudo apt-get install -y --no-install-recommends kamailio kamailio-websocket-modules sip-tester\n' +
    'then run the demo again. (Debian and Ubuntu.)'
  );
}

export const sipPeer: DemoPeer = {
  bridge: 'sip',
  ports: [
    {
      key: 'sip',
      flag: '--sip-port',
      what: 'the SIP server (Kamailio, UDP and TCP)',
      default: 5060,
    },
    {
      key: 'sipWs',
      flag: '--sip-ws-port',
      what: "the SIP server's WebSocket port (Kamailio, for the bridge)",
      default: 5066,
    },
  ],
  async install(ctx) {
    const installed = existsSync(KAMAILIO) && existsSync(WS_MODULE);
    const problem = sipInstallProblem(installed, process.getuid?.());
    if (problem) throw new DemoError(problem);
    if (!installed) await ctx.scripts.run('sip.sh', ['install'], env(ctx));
  },
  start: (ctx) => ctx.scripts.run('sip.sh', ['start'], env(ctx)),
  stop: (ctx) => ctx.scripts.run('sip.sh', ['stop'], env(ctx)),
  section: (ctx) => ({
    server: `ws://127.0.0.1:${wsPort(ctx)}`,
    domain: 'localhost',
    account: { username: 'switchboard', password: 'switchboardpw' },
    dial_plan: { allow_domains: ['localhost'] },
    dids: { [SIP_DEMO_NUMBER]: `@${DEMO_USER}:${ctx.opts.serverName}` },
    media: { mode: 'relay', rtp_bind_address: '127.0.0.1' },
  }),
  rooms: () => [],
  outsideTitle: 'From a SIP softphone on this machine (Linphone, MicroSIP, baresip…)',
  outside: (ctx) => [
    ['server', `127.0.0.1:${sipPort(ctx)} (UDP or TCP), domain localhost`],
    ['accounts', 'alice / alicepw, bob / bobpw'],
    ['call', `${SIP_DEMO_NUMBER} (sip:${SIP_DEMO_NUMBER}@localhost) rings you in Matrix`],
    ['from Matrix', `invite @sip_alice=40localhost:${ctx.opts.serverName} to a direct chat`],
  ],
};
