import { describe, expect, it } from 'vitest';
import { ircConfigSchema } from './config.js';

describe('IRC config', () => {
  it('fills the defaults: TLS on port 6697 with certificate checks', () => {
    const config = ircConfigSchema.parse({ networks: { libera: { host: 'irc.libera.chat' } } });
    expect(config.networks.libera).toEqual({
      host: 'irc.libera.chat',
      port: 6697,
      tls: true,
      tls_reject_unauthorized: true,
      nick_template: '{localpart}[m]',
      bot_nick: 'switchboard',
      channels: [],
      flood: { lines_per_second: 2, burst: 10 },
    });
  });

  it('names the key in its errors', () => {
    const bad = (networks: unknown) => {
      const r = ircConfigSchema.safeParse({ networks });
      return r.success
        ? ''
        : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    };
    expect(bad({ libera: { host: 'x', channels: ['rust'] } })).toContain(
      'networks.libera.channels.0',
    );
    expect(bad({ libera: { host: 'x', nick_template: 'static' } })).toContain('{localpart}');
    expect(bad({ Libera_Chat: { host: 'x' } })).toContain('network ids');
    expect(bad({})).toContain('at least one network');
    expect(bad({ libera: { host: 'x', tls_ca_file: '/ca.pem' } })).toContain('NODE_EXTRA_CA_CERTS');
  });
});
