import { mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ircConfigSchema, readCaFile } from './config.js';

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
      netsplit_grace_seconds: 300,
      catch_up: { away_notice_seconds: 60, history_limit: 100 },
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
    expect(bad({ libera: { host: 'x', netsplit_grace_seconds: -1 } })).toBe(
      'networks.libera.netsplit_grace_seconds: must be 0 (leave at once) or more',
    );
    expect(bad({ libera: { host: 'x', netsplit_grace_seconds: 1.5 } })).toContain(
      'netsplit_grace_seconds: must be a whole number of seconds',
    );
    expect(bad({ libera: { host: 'x', tls_ca_file: '/nonexistent/ca.pem' } })).toMatch(
      /^networks\.libera\.tls_ca_file: cannot read the CA file \/nonexistent\/ca\.pem: ENOENT/,
    );
  });

  it('accepts a readable PEM file as tls_ca_file and refuses a file without a certificate', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-irc-ca-'));
    const good = join(dir, 'ca.pem');
    const empty = join(dir, 'empty.pem');
    writeFileSync(good, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    writeFileSync(empty, 'not a certificate\n');
    try {
      const ok = ircConfigSchema.parse({ networks: { n: { host: 'x', tls_ca_file: good } } });
      expect(ok.networks.n?.tls_ca_file).toBe(good);
      expect(readCaFile(good)).toContain('BEGIN CERTIFICATE');
      const r = ircConfigSchema.safeParse({ networks: { n: { host: 'x', tls_ca_file: empty } } });
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.path).toEqual(['networks', 'n', 'tls_ca_file']);
      expect(r.error?.issues[0]?.message).toContain('no PEM certificate');
    } finally {
      rmSync(good);
      rmSync(empty);
      rmdirSync(dir);
    }
  });
});
