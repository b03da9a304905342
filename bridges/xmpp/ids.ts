/**
 * XMPP addresses ↔ the connector's ids and Matrix ids.
 *
 * - A Matrix user on XMPP is `<escaped MXID without its @>@<component domain>`, escaped by
 *   XEP-0106 (`\20 \22 \26 \27 \2f \3a \3c \3e \40 \5c`): `@alice:example.org` is
 *   `alice\3aexample.org@matrix.example.org`. JID localparts ignore case, so Matrix users whose
 *   localpart has capitals (historical ids) have no address.
 * - An XMPP user is the remote user `<bare JID>` (`alice@example.org`), whose ghost core names
 *   `@xmpp_alice=40example.org:<domain>` (core escapes `@` and every character a Matrix
 *   localpart lacks as `=hh`). A MUC occupant is `<room JID>/<nick>`.
 * - A MUC portal is `muc/<room JID>`; its alias `#xmpp_<room JID escaped like a ghost>`:
 *   `#xmpp_room=40conference.example.org:<domain>`.
 * - A one-to-one chat is `dm/<bare JID>/<Matrix user id>`.
 * - A Matrix room entered through the gateway is `gw/<alias or room id>` (its addresses on the
 *   component: gateway/addresses.ts).
 */
import { jid as parseJid, type JID } from '@xmpp/jid';
import {
  portalKey,
  remoteUserId,
  type MatrixUserId,
  type PortalKey,
  type RemoteUserId,
} from '../../src/connector.js';
import { Lru } from './util/lru.js';
import { kept } from './util/kept.js';

const XEP0106: Record<string, string> = {
  ' ': '\\20',
  '"': '\\22',
  '&': '\\26',
  "'": '\\27',
  '/': '\\2f',
  ':': '\\3a',
  '<': '\\3c',
  '>': '\\3e',
  '@': '\\40',
  '\\': '\\5c',
};
const UNESCAPE = new Map(Object.entries(XEP0106).map(([c, e]) => [e, c]));

/** XEP-0106 escaping of a localpart (every `\` is escaped too, so the mapping is reversible). */
export const escapeNode = (s: string): string => s.replace(/[ "&'/:<>@\\]/g, (c) => XEP0106[c]!);

export const unescapeNode = (s: string): string =>
  s.replace(/\\(20|22|26|27|2f|3a|3c|3e|40|5c)/g, (e) => UNESCAPE.get(e)!);

/** Matrix user ids this bridge gives an address: lowercase localparts (JIDs ignore case). */
const MXID = /^@[a-z0-9._=\-/+]+:[a-zA-Z0-9.-]+(:[0-9]{1,5})?$/;

/** A Matrix user's bare JID on the component, or undefined when they cannot have one. */
export function matrixUserJid(userId: string, componentDomain: string): string | undefined {
  if (!MXID.test(userId) || userId.length > 255) return undefined;
  return `${escapeNode(userId.slice(1).toLowerCase())}@${componentDomain}`;
}

/** The Matrix user behind an address on the component (`alice\3aexample.org@matrix…`). */
export function jidMatrixUser(
  address: JID | string,
  componentDomain: string,
): MatrixUserId | undefined {
  const j = typeof address === 'string' ? safeJid(address) : address;
  if (!j || j.domain !== componentDomain || !j.local) return undefined;
  const userId = `@${unescapeNode(j.local)}`;
  return MXID.test(userId) ? (userId as MatrixUserId) : undefined;
}

/** Control characters, whitespace other than space, and what no JID part may hold. */
const FORBIDDEN = /[\x00-\x1f\x7f\uFFFE\uFFFF]/;
const DOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/**
 * Parses and checks an address: a domain of letters, digits, `-` and `.` (IDNs in their ASCII
 * form), a localpart and resource of at most 1023 bytes without control characters, a
 * localpart without the characters RFC 7622 forbids there. Undefined when it is not one.
 */
export function safeJid(address: string): JID | undefined {
  if (typeof address !== 'string' || address.length > 3071 || FORBIDDEN.test(address))
    return undefined;
  let j: JID;
  try {
    j = parseJid(address);
  } catch {
    return undefined;
  }
  if (!DOMAIN.test(j.domain)) return undefined;
  if (j.local && (Buffer.byteLength(j.local) > 1023 || /[\s"&'/:<>@]/.test(j.local)))
    return undefined;
  if (j.resource && Buffer.byteLength(j.resource) > 1023) return undefined;
  return j;
}

/** The bare form of an address, or undefined when it is not a valid JID. */
/** A parsed address's bare form as a string (what `j.bare().toString()` gives, without a new parse). */
export const bareOf = (j: JID): string => (j.local ? `${j.local}@${j.domain}` : j.domain);

export const bareJid = (address: string): string | undefined => safeJid(address)?.bare().toString();

/** An XMPP user (by bare JID) or a MUC occupant (`room@host/nick`) as a remote user. */
export const xmppUser = (address: string): RemoteUserId => remoteUserId(address);

// ---------------------------------------------------------------- portals

export const mucPortal = (room: string): PortalKey => portalKey(`muc/${room}`);
export const dmPortal = (contact: string, owner: string): PortalKey =>
  portalKey(`dm/${contact}/${owner}`);

/**
 * A private chat (XEP-0045 §7.5) between a Matrix user and an occupant of a MUC, by the nick the
 * occupant's ghost is named by: `pm/<room JID>/<Matrix user id>/<nick>`.
 */
export const mucPrivatePortal = (room: string, owner: string, nick: string): PortalKey =>
  portalKey(`pm/${room}/${owner}/${nick}`);

/**
 * A Matrix room XMPP users entered through the gateway, by the alias (`#room:server`) or room id
 * (`!opaque:server`) it was first entered by.
 */
export const gatewayPortal = (target: string): PortalKey => portalKey(`gw/${target}`);

export type ParsedPortal =
  | { kind: 'muc'; room: string }
  | { kind: 'dm'; contact: string; owner: MatrixUserId }
  | { kind: 'gateway'; target: string }
  | { kind: 'private'; room: string; owner: MatrixUserId; nick: string };

/** Parsed portal keys: every Matrix event names its portal, and parsing a JID costs. */
const parsedPortals = new Lru<string, ParsedPortal | undefined>(10_000);

export function parsePortal(key: string): ParsedPortal | undefined {
  if (parsedPortals.has(key)) return parsedPortals.get(key);
  // Kept, with its parts: a key can be made of a stanza's addresses.
  const own = kept(key);
  const parsed = parsePortalKey(own);
  parsedPortals.set(own, parsed);
  return parsed;
}

function parsePortalKey(key: string): ParsedPortal | undefined {
  if (key.startsWith('gw/')) {
    const target = key.slice(3);
    return isRoomTarget(target) ? { kind: 'gateway', target } : undefined;
  }
  if (key.startsWith('muc/')) {
    const room = bareJid(key.slice(4));
    return room && room === key.slice(4) && room.includes('@') ? { kind: 'muc', room } : undefined;
  }
  if (key.startsWith('pm/')) {
    // The Matrix id's localpart has no `:` and its server no `/`: the nick is what follows.
    const p = /^pm\/([^/\s]+)\/(@[^:\s]+:[a-zA-Z0-9.-]+(?::[0-9]{1,5})?)\/(.+)$/.exec(key);
    if (!p || !MXID.test(p[2]!)) return undefined;
    const occupant = safeJid(`${p[1]}/${p[3]}`);
    return occupant && occupant.local && bareOf(occupant) === p[1] && occupant.resource === p[3]
      ? { kind: 'private', room: p[1]!, owner: p[2] as MatrixUserId, nick: p[3]! }
      : undefined;
  }
  const m = /^dm\/([^/\s]+)\/(@\S+)$/.exec(key);
  if (!m) return undefined;
  const contact = bareJid(m[1]!);
  return contact === m[1] && contact?.includes('@') && MXID.test(m[2]!)
    ? { kind: 'dm', contact, owner: m[2] as MatrixUserId }
    : undefined;
}

// ---------------------------------------------------------------- room aliases

const PLAIN = /^[a-z0-9._\-/]$/;

/** The alias localpart (after the bridge prefix) of a MUC: its JID, `=hh`-escaped per UTF-8 byte. */
export function aliasLocalpart(room: string): string {
  let out = '';
  for (const ch of room) {
    if (PLAIN.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += '=' + b.toString(16).padStart(2, '0');
  }
  return out;
}

/** The MUC an alias localpart names (`room=40conference.example.org`), or undefined. */
export function parseAliasLocalpart(local: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < local.length; i++) {
    const ch = local[i]!;
    if (ch === '=') {
      const hex = local.slice(i + 1, i + 3).toLowerCase();
      if (!/^[0-9a-f]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(ch.charCodeAt(0));
  }
  const room = Buffer.from(bytes).toString('utf8');
  const j = safeJid(room);
  return j && j.local && !j.resource ? j.toString() : undefined;
}

// ---------------------------------------------------------------- the gateway

/** A Matrix room alias (`#localpart:server`, the server with an optional port). */
const ALIAS = /^#[^:\s]{1,200}:[a-z0-9.-]{1,253}(:[0-9]{1,5})?$/i;
/** A room id: `!opaque:server`, or from room version 12 on `!opaque` alone (a hash). */
const ROOM_ID = /^![^:#\s]{1,255}(:[a-z0-9.-]{1,253}(:[0-9]{1,5})?)?$/i;

/** Whether a string names a Matrix room the gateway can show: an alias or a room id. */
export const isRoomTarget = (s: string): boolean => ALIAS.test(s) || ROOM_ID.test(s);
