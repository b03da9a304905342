/**
 * Unit-test stand-ins for what core gives a bridge to keep secrets: a kv that stores JSON text
 * (`raw`, to check what is at rest), a sealer keyed like core's, and a log whose lines are kept.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { KeyValueStore, SecretSealer } from '../../src/connector.js';

export function jsonKv(): KeyValueStore & { raw: Map<string, string> } {
  const raw = new Map<string, string>();
  return {
    raw,
    get: async <T>(key: string) => {
      const v = raw.get(key);
      return v === undefined ? undefined : (JSON.parse(v) as T);
    },
    set: async (key, value) => void raw.set(key, JSON.stringify(value)),
    delete: async (key) => void raw.delete(key),
  };
}

/**
 * A stand-in for core's sealer (ctx.secrets), keyed like it: text sealed by one instance opens only
 * in that one, and the sealed form holds no plaintext. Core's own AES-GCM is tested with core.
 */
export const standInSealer = (): SecretSealer => {
  const key = randomBytes(32);
  const id = key.subarray(0, 4).toString('hex');
  const mask = (bytes: Buffer) => Buffer.from(bytes.map((b, i) => b ^ key[i % key.length]!));
  return {
    seal: (text) => `v1.${id}.${mask(Buffer.from(text, 'utf8')).toString('base64url')}`,
    unseal: (sealed) => {
      const [v, keyId, body] = sealed.split('.');
      if (v !== 'v1' || keyId !== id || body === undefined)
        throw new Error('a sealed secret could not be opened (another secret key, or changed)');
      return mask(Buffer.from(body, 'base64url')).toString('utf8');
    },
  };
};

/** A pino logger at info whose lines (JSON text) are kept in `lines`. */
export function capturedLog() {
  const lines: string[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }),
  );
  return { lines, log };
}
