/** Tells a failed check of an IRC server's TLS certificate from other socket errors (to say how to fix it). */
import { BridgeError } from '../../../src/connector.js';

/** Node's codes for a server certificate that fails the check (tls.connect with rejectUnauthorized). */
const CERT_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** `code: message` when `err` is a failed certificate check, else undefined. */
export function certificateProblem(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !CERT_ERRORS.has(code)) return undefined;
  return `${code}: ${err.message}`;
}

/** Why messages to a server whose certificate is not trusted fail (not retriable: an admin must act). */
export function untrustedError(host: string, port: number, problem: string): BridgeError {
  return new BridgeError(
    'not-connected',
    `could not connect to IRC at ${host}:${port}: the server's TLS certificate is not trusted (${problem})`,
  );
}
