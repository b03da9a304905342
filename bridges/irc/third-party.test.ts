import { describe, expect, it } from 'vitest';
import type { MatrixUserId, RemoteUserId } from '../../src/connector.js';
import {
  ircThirdPartyLocations,
  ircThirdPartyProtocol,
  ircThirdPartyUsers,
} from './third-party.js';

const deps = {
  networks: ['libera'],
  ctx: {
    portalAlias: (localpart: string) => `#${localpart}:example.org`,
    ghostUserId: (u: RemoteUserId) => `@irc_${u}:example.org` as MatrixUserId,
  },
};

describe('IRC third-party lookups', () => {
  it('lists each configured network as an instance', () => {
    expect(ircThirdPartyProtocol(['libera', 'oftc']).instances.map((i) => i.network_id)).toEqual([
      'libera',
      'oftc',
    ]);
  });

  it("gives a channel's alias on a known network, its name lowercased", () => {
    const [found] = ircThirdPartyLocations(deps, { network: 'libera', channel: '#Rust' });
    expect(found?.fields).toEqual({ network: 'libera', channel: '#rust' });
    expect(found?.alias).toMatch(/^#.*:example\.org$/);
  });

  it('finds nothing on an unknown network, for a bad channel name or a bad nick', () => {
    expect(ircThirdPartyLocations(deps, { network: 'efnet', channel: '#rust' })).toEqual([]);
    expect(ircThirdPartyLocations(deps, { network: 'libera', channel: 'rust' })).toEqual([]);
    expect(ircThirdPartyUsers(deps, { network: 'libera', nickname: 'bad nick' })).toEqual([]);
  });

  it("gives a nick's ghost on a known network", () => {
    const [found] = ircThirdPartyUsers(deps, { network: 'libera', nickname: 'alice' });
    expect(found).toMatchObject({
      protocol: 'irc',
      fields: { network: 'libera', nickname: 'alice' },
    });
    expect(found?.userid).toMatch(/^@irc_.*alice.*:example\.org$/);
  });
});
