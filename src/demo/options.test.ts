import { describe, expect, it } from 'vitest';
import { DemoError } from './demo-error.js';
import { CORE_PORTS, resolveOptions, type DemoPort } from './options.js';

const ports: DemoPort[] = [
  ...CORE_PORTS,
  { key: 'irc', flag: '--irc-port', what: 'the IRC server (InspIRCd)', default: 6667 },
];

describe('demo options', () => {
  it('defaults: .demo under the current directory, localhost, 8008/9000/6667, a venv in the state folder', () => {
    const opts = resolveOptions({}, ports, {});
    expect(opts.dir).toBe(`${process.cwd()}/.demo`);
    expect(opts.serverName).toBe('localhost');
    expect(opts.ports).toEqual({ homeserver: 8008, bridge: 9000, irc: 6667 });
    expect(opts.synapseVenv).toBe(`${process.cwd()}/.demo/synapse-venv`);
    expect(opts.logLevel).toBe('info');
  });

  it('takes each port from its flag, and SYNAPSE_VENV from the environment', () => {
    const opts = resolveOptions(
      { dir: '/tmp/x', hsPort: '18001', bridgePort: '19001', ircPort: '16001' },
      ports,
      { SYNAPSE_VENV: '/opt/venv' },
    );
    expect(opts.ports).toEqual({ homeserver: 18001, bridge: 19001, irc: 16001 });
    expect(opts.synapseVenv).toBe('/opt/venv');
    expect(
      resolveOptions({ synapseVenv: '/v2' }, ports, { SYNAPSE_VENV: '/opt/venv' }).synapseVenv,
    ).toBe('/v2');
  });

  it('refuses a port that is no port, and two flags on one port, naming the flags', () => {
    expect(() => resolveOptions({ ircPort: '70000' }, ports, {})).toThrow(
      '--irc-port must be a TCP port (1-65535), not "70000"',
    );
    expect(() => resolveOptions({ ircPort: '8008' }, ports, {})).toThrow(
      '--hs-port and --irc-port are both 8008: each needs a port of its own',
    );
    expect(() => resolveOptions({ logLevel: 'loud' }, ports, {})).toThrow(DemoError);
    expect(() => resolveOptions({ serverName: 'a b' }, ports, {})).toThrow('--server-name');
  });
});
