/**
 * Service discovery (XEP-0030 disco#info) of the component and of Matrix users' addresses, so
 * that XMPP clients offer what the bridge carries (corrections, retractions, reactions, replies,
 * chat states, files as links) in chats with Matrix users.
 */
import { xml, type Element } from '@xmpp/xml';
import { jidMatrixUser, safeJid } from './ids.js';
import { NS } from './stanzas.js';

const DISCO_INFO = 'http://jabber.org/protocol/disco#info';

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
];

/** The disco#info answer for an address on the component, or undefined (item-not-found). */
export function discoInfo(to: string, componentDomain: string): Element | undefined {
  const j = safeJid(to);
  if (!j || j.domain !== componentDomain) return undefined;
  if (!j.local)
    return xml(
      'query',
      { xmlns: DISCO_INFO },
      xml('identity', { category: 'gateway', type: 'matrix', name: 'Matrix' }),
      xml('feature', { var: DISCO_INFO }),
    );
  const user = jidMatrixUser(j, componentDomain);
  if (!user) return undefined;
  return xml(
    'query',
    { xmlns: DISCO_INFO },
    xml('identity', { category: 'client', type: 'pc', name: user }),
    ...USER_FEATURES.map((f) => xml('feature', { var: f })),
  );
}

export { DISCO_INFO };
