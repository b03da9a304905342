/**
 * XEP-0115 entity capabilities of Matrix users' addresses: their presences carry a `c` element
 * whose `ver` hashes (§5, SHA-1) the disco#info the bridge answers for them (disco.ts), so that
 * contacts' servers know what they support without asking each time, and, from
 * `urn:xmpp:avatar:metadata+notify`, send them XEP-0084 avatar notifications (PEP, XEP-0163).
 * Every Matrix user's address answers the same disco#info: one `ver` for all.
 */
import { createHash } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';

export const CAPS = 'http://jabber.org/protocol/caps';
/** Names the software (a URI, §4); `node#ver` is what servers ask disco#info about. */
export const CAPS_NODE = 'urn:switchboard:xmpp-bridge';

export interface Identity {
  category: string;
  type: string;
  lang?: string;
  name?: string;
}

/** §5.1's verification string of identities and features (no data forms: the bridge has none), SHA-1, base64. */
export function capsVer(identities: Identity[], features: string[]): string {
  const ids = identities.map((i) => `${i.category}/${i.type}/${i.lang ?? ''}/${i.name ?? ''}`);
  const s = [...ids.sort(), ...[...new Set(features)].sort()].map((x) => `${x}<`).join('');
  return createHash('sha1').update(s, 'utf8').digest('base64');
}

/** The `c` element of a presence, for `ver`. */
export const capsElement = (ver: string): Element =>
  xml('c', { xmlns: CAPS, hash: 'sha-1', node: CAPS_NODE, ver });
