/**
 * Service discovery (XEP-0030 disco#info) of the component and of Matrix users' addresses, so
 * that XMPP clients offer what the bridge carries (corrections, retractions, reactions, replies,
 * chat states, files as links) in chats with Matrix users; what a Matrix user's address answers
 * is what their presences' entity capabilities hash (caps.ts).
 */
import { xml, type Element } from '@xmpp/xml';
import { AVATAR_METADATA } from '../avatars/vcard.js';
import { jidMatrixUser, safeJid } from '../ids.js';
import { CAPS, CAPS_NODE, capsVer, type Identity } from './caps.js';
import { NS } from './stanzas.js';

const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';

/** What a Matrix user's address supports (the features the bridge carries both ways). */
export const USER_FEATURES = [
  DISCO_INFO,
  NS.chatStates,
  NS.correct,
  NS.retract,
  NS.reactions,
  NS.reply,
  NS.sid,
  NS.oob,
  NS.markers,
  NS.receipts,
  NS.xhtmlIm,
  CAPS,
  // XEP-0084 avatar notifications from contacts' servers (XEP-0163 +notify).
  `${AVATAR_METADATA}+notify`,
];

/** Every Matrix user's address is the same kind of client (so one caps hash serves them all). */
const USER_IDENTITY: Identity = { category: 'client', type: 'pc', name: 'Matrix (Switchboard)' };

/** The XEP-0115 `ver` of Matrix users' addresses. */
export const USER_CAPS_VER = capsVer([USER_IDENTITY], USER_FEATURES);

/**
 * The disco#info answer for an address on the component, or undefined (item-not-found); a
 * Matrix user's address also answers on its caps node (`node`: CAPS_NODE#ver), and no other.
 */
export function discoInfo(to: string, componentDomain: string, node?: string): Element | undefined {
  const j = safeJid(to);
  if (!j || j.domain !== componentDomain) return undefined;
  if (!j.local && node === undefined)
    return xml(
      'query',
      { xmlns: DISCO_INFO },
      xml('identity', { category: 'gateway', type: 'matrix', name: 'Matrix' }),
      xml('feature', { var: DISCO_INFO }),
      xml('feature', { var: DISCO_ITEMS }),
      xml('feature', { var: NS.muc }),
    );
  if (!j.local || !jidMatrixUser(j, componentDomain)) return undefined;
  if (node !== undefined && node !== `${CAPS_NODE}#${USER_CAPS_VER}`) return undefined;
  return xml(
    'query',
    { xmlns: DISCO_INFO, ...(node === undefined ? {} : { node }) },
    xml('identity', { ...USER_IDENTITY }),
    ...USER_FEATURES.map((f) => xml('feature', { var: f })),
  );
}

/**
 * The disco#items answer: the component lists the Matrix rooms XMPP users are in through the
 * gateway; a room or a user has no items (occupants are not listed, as XEP-0045 allows).
 */
export function discoItems(
  to: string,
  componentDomain: string,
  gateway: { listed(): { jid: string; name: string }[] },
): Element | undefined {
  const j = safeJid(to);
  if (!j || j.domain !== componentDomain || j.resource) return undefined;
  if (j.local) return xml('query', { xmlns: DISCO_ITEMS });
  return xml(
    'query',
    { xmlns: DISCO_ITEMS },
    ...gateway.listed().map((r) => xml('item', { jid: r.jid, name: r.name })),
  );
}

export { DISCO_INFO, DISCO_ITEMS };
