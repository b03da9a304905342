/**
 * SIP ids ↔ the connector's typed ids.
 *
 * A remote party is a phone number in E.164 (`+15551234567`) or a SIP address `user@host`
 * (`alice@pbx.example.org`, the host lowercased, the user part as SIP has it: case-sensitive).
 * Core escapes a remote id into the ghost's localpart reversibly (`=hh` per byte outside
 * `a-z 0-9 . _ - /`), so the ghosts are `@sip_alice=40pbx.example.org:<domain>` and
 * `@sip_=2b15551234567:<domain>` (`@` is `=40`, `+` is `=2b`, a capital `A` is `=41`).
 *
 * A DM portal is one Matrix user's conversation with one remote party, over the shared trunk:
 * `<matrix user id> <remote party>` (a space never occurs in either).
 */
import {
  portalKey,
  remoteUserId,
  type MatrixUserId,
  type PortalKey,
  type RemoteUserId,
} from '../../src/connector.js';

/** E.164: a `+`, a non-zero first digit, at most 15 digits. */
export const E164 = /^\+[1-9][0-9]{1,14}$/;
/** RFC 3261 user part, unescaped characters only (no `%`, no `@`, no `:`, no space, no CR/LF). */
const SIP_USER = /^[A-Za-z0-9\-_.!~*'()&=+$,;?/]{1,64}$/;
/** A host name or IPv4 address, with an optional port. */
const SIP_HOST =
  /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::[0-9]{1,5})?$/;

export interface SipAddress {
  user: string;
  host: string;
}

/** A SIP address from its parts, or undefined when either part is not a plain, safe one. */
export function sipAddress(user: string, host: string): SipAddress | undefined {
  const h = host.toLowerCase();
  return SIP_USER.test(user) && SIP_HOST.test(h) && h.length <= 253 ? { user, host: h } : undefined;
}

/** `sip:user@host` (or `sips:`, `tel:+…`) as a remote party; undefined for anything unsafe or unknown. */
export function parseSipUri(uri: string): RemoteUserId | undefined {
  const tel = /^tel:(\+[0-9]{2,15})$/i.exec(uri);
  if (tel) return E164.test(tel[1]!) ? remoteUserId(tel[1]!) : undefined;
  const m = /^sips?:([^@;?>\s]+)@([^;?>\s]+)$/i.exec(uri);
  if (!m) return undefined;
  return partyFromParts(m[1]!, m[2]!);
}

/** A remote party from a URI's user part and host: an E.164 number stands alone. */
export function partyFromParts(user: string, host: string): RemoteUserId | undefined {
  if (E164.test(user)) return remoteUserId(user);
  const address = sipAddress(user, host);
  return address ? remoteUserId(`${address.user}@${address.host}`) : undefined;
}

export type Party = { kind: 'number'; number: string } | { kind: 'address'; address: SipAddress };

/** What a remote id stands for; undefined for an id this bridge could not have made. */
export function parseParty(id: string): Party | undefined {
  if (E164.test(id)) return { kind: 'number', number: id };
  const at = id.lastIndexOf('@');
  if (at < 1) return undefined;
  const address = sipAddress(id.slice(0, at), id.slice(at + 1));
  return address && `${address.user}@${address.host}` === id
    ? { kind: 'address', address }
    : undefined;
}

/**
 * What a user types or a ghost stands for as a remote party: `+15551234`, `sip:alice@host`,
 * `alice@host`. Spaces, dashes, dots and brackets in a number are dropped (`+1 (555) 123-4567`).
 */
export function partyFromInput(text: string): RemoteUserId | undefined {
  const t = text.trim();
  if (/^\+[0-9 ().-]+$/.test(t)) {
    const number = t.replace(/[ ().-]/g, '');
    return E164.test(number) ? remoteUserId(number) : undefined;
  }
  if (/^(sips?|tel):/i.test(t)) return parseSipUri(t);
  const at = t.lastIndexOf('@');
  return at > 0 ? partyFromParts(t.slice(0, at), t.slice(at + 1)) : undefined;
}

/** The URI a remote party is reached at: numbers at the dial plan's domain. */
export function partyUri(party: Party, numberDomain: string): string {
  return party.kind === 'number'
    ? `sip:${party.number}@${numberDomain}`
    : `sip:${party.address.user}@${party.address.host}`;
}

const MATRIX_USER = /^@[a-z0-9._=\-/+]+:[A-Za-z0-9.:[\]-]+$/;

/** One Matrix user's conversation with one remote party. */
export function dmPortal(user: MatrixUserId, party: RemoteUserId): PortalKey {
  return portalKey(`${user} ${party}`);
}

export function parseDmPortal(
  key: string,
): { user: MatrixUserId; party: RemoteUserId } | undefined {
  const space = key.indexOf(' ');
  if (space < 0) return undefined;
  const user = key.slice(0, space);
  const party = key.slice(space + 1);
  return MATRIX_USER.test(user) && parseParty(party)
    ? { user: user as MatrixUserId, party: remoteUserId(party) }
    : undefined;
}
