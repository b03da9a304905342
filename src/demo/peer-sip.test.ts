import { describe, expect, it } from 'vitest';
import { sipInstallProblem, sipPeer, SIP_DEMO_NUMBER } from './peer-sip.js';
import { DEMO_USER } from './run.js';
import { sipConfigSchema } from '../../bridges/sip/config.js';

const ctx = {
  opts: {
    dir: '/tmp/x',
    serverName: 'localhost',
    ports: { sip: 5060, sipWs: 5066 },
    synapseVenv: '/tmp/v',
    logLevel: 'info',
  },
  scripts: undefined as never,
};

describe('the SIP demo peer', () => {
  it('without Kamailio, as a normal user: the exact apt-get command to run as root', () => {
    expect(sipInstallProblem(false, 1000)).toContain(
      'sudo apt-get update && sudo apt-get install -y --no-install-recommends kamailio kamailio-websocket-modules sip-tester',
    );
    expect(sipInstallProblem(false, 0)).toBeUndefined();
    expect(sipInstallProblem(true, 1000)).toBeUndefined();
  });

  it('its section is a valid SIP config whose demo number rings the demo user', () => {
    const config = sipConfigSchema.parse(sipPeer.section(ctx));
    expect(config.dids).toEqual({ [SIP_DEMO_NUMBER]: `@${DEMO_USER}:localhost` });
    expect(config.server).toBe('ws://127.0.0.1:5066');
    expect(sipPeer.outside(ctx).map(([label]) => label)).toEqual([
      'server',
      'accounts',
      'call',
      'from Matrix',
    ]);
  });
});
