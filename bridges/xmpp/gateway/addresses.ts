/**
 * Addresses of Matrix rooms on the component (the gateway): `#room:server` is
 * `#room#server@<component>` and `!opaque:server` is `!opaque#server@<component>` (the last `#`
 * before the server stands for `:`; XEP-0106's `\3a` is read too, and a port is `\3a8448` after
 * the server).
 *
 * Capitals: the XMPP server lowercases an address's localpart (JIDs ignore case), while aliases
 * and room ids are case-sensitive. So a capital is written `^` and its lowercase letter (as
 * matrix-bifrost writes capitals in Matrix ids), and a `^` itself `^^`: `#Rust:example.org` is
 * `#^rust#example.org@…`. An address without `^` reads as before, all lowercase.
 */
import type { JID } from '@xmpp/jid';
import { escapeNode, isRoomTarget, safeJid, unescapeNode } from '../ids.js';

/** `A` → `^a`, `^` → `^^`: what survives the lowercasing of the localpart. */
const caseSafe = (s: string): string =>
  s.replace(/[A-Z^]/g, (c) => (c === '^' ? '^^' : `^${c.toLowerCase()}`));

/** `^a` → `A`, `^^` → `^`; a `^` before anything else is kept. */
const fromCaseSafe = (s: string): string =>
  s.replace(/\^([a-z^])/g, (_, c: string) => (c === '^' ? '^' : c.toUpperCase()));

/**
 * The alias or room id an address on the component names (`#room#server@<component>`,
 * `!opaque#server@<component>`, escaped forms too), or undefined when it names neither.
 */
export function gatewayTarget(address: JID | string, componentDomain: string): string | undefined {
  const j = typeof address === 'string' ? safeJid(address) : address;
  if (!j || j.domain !== componentDomain || !j.local) return undefined;
  const local = fromCaseSafe(unescapeNode(j.local));
  if (!local.startsWith('#') && !local.startsWith('!')) return undefined;
  const colon = local.indexOf(':');
  const head = colon < 0 ? local : local.slice(0, colon);
  const tail = colon < 0 ? '' : local.slice(colon);
  let target = local;
  const hash = head.lastIndexOf('#');
  if (hash > 0) target = `${head.slice(0, hash)}:${head.slice(hash + 1)}${tail}`;
  return isRoomTarget(target) ? target : undefined;
}

/**
 * The address of a Matrix room on the component: `#Rust:example.org` →
 * `#^rust#example.org@<component>`, `!AbC:example.org` → `!^ab^c#example.org@<component>`, a
 * room id without a server (room version 12) → `!<opaque>@<component>`.
 */
export function gatewayRoomJid(target: string, componentDomain: string): string {
  const colon = target.indexOf(':');
  const local = colon < 0 ? target : `${target.slice(0, colon)}#${target.slice(colon + 1)}`;
  return `${escapeNode(caseSafe(local))}@${componentDomain}`;
}
