/**
 * The bridge's secret key: a random 256-bit key in a file of its own (`secret_key_file`), made on
 * first use with mode 0600. It is kept out of the database on purpose: a copy of the database
 * alone does not reveal the secrets sealed with it (IRC passwords, say). Each purpose gets its
 * own key derived with HKDF, so a signing key never doubles as an encryption key.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config/schema.js';
import { isPostgresUrl, sqlitePath } from '../store/open-store.js';

const KEY_HEX = /^[0-9a-f]{64}$/;

/** `secret_key_file`, or `switchboard.key` beside an SQLite database (else in the working directory). */
export function secretKeyFile(config: Pick<Config, 'database' | 'secret_key_file'>): string {
  if (config.secret_key_file) return config.secret_key_file;
  const file = isPostgresUrl(config.database) ? ':memory:' : sqlitePath(config.database);
  return file === ':memory:' ? 'switchboard.key' : join(dirname(file), 'switchboard.key');
}

export class SecretKey {
  private masterKey?: Buffer;

  constructor(readonly file: string) {}

  /** A 32-byte key for one purpose (`public-links`, `bridge:irc`, …). */
  derive(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.master(), Buffer.alloc(0), purpose, 32));
  }

  private master(): Buffer {
    if (this.masterKey) return this.masterKey;
    let hex: string;
    try {
      hex = readFileSync(this.file, 'utf8').trim();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new Error(`cannot read secret_key_file ${this.file}: ${(err as Error).message}`);
      hex = randomBytes(32).toString('hex');
      // `wx`: never overwrite a key another process wrote meanwhile (it would orphan its secrets).
      try {
        writeFileSync(this.file, `${hex}\n`, { mode: 0o600, flag: 'wx' });
      } catch (writeErr) {
        if ((writeErr as NodeJS.ErrnoException).code !== 'EEXIST')
          throw new Error(
            `cannot create secret_key_file ${this.file}: ${(writeErr as Error).message}`,
          );
        hex = readFileSync(this.file, 'utf8').trim();
      }
    }
    if (!KEY_HEX.test(hex))
      throw new Error(
        `secret_key_file ${this.file} must hold 64 hex digits (delete it to make a new key; secrets sealed with the old one are then lost)`,
      );
    this.masterKey = Buffer.from(hex, 'hex');
    return this.masterKey;
  }
}

/** Seals short secrets (passwords) with AES-256-GCM: `v1.<base64url of iv | tag | ciphertext>`. */
export class Sealer {
  constructor(private readonly key: () => Buffer) {}

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key(), iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `v1.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** The plaintext; throws when the value was not sealed with this key or was changed. */
  unseal(sealed: string): string {
    const raw = sealed.startsWith('v1.') ? Buffer.from(sealed.slice(3), 'base64url') : undefined;
    if (!raw || raw.length < 28) throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key(), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    try {
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('a sealed secret could not be opened (another secret key, or changed)');
    }
  }
}
