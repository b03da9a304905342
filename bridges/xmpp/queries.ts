/**
 * The queries the component answers itself (XEP-0030 service discovery of the component, its
 * users and gateway rooms; XEP-0425 moderation requests to a gateway room): what the connection
 * answers with item-not-found when nothing here knows the address.
 */
import { xml, type Element } from '@xmpp/xml';
import type { ComponentLink } from './connection/connection.js';
import { DISCO_INFO, DISCO_ITEMS, discoInfo, discoItems } from './connection/disco.js';
import { NS } from './connection/stanzas.js';
import type { Gateway } from './gateway/gateway.js';

export function answerQueries(link: ComponentLink, gateway: Gateway, domain: string): void {
  const notFound = () =>
    xml('error', { type: 'cancel' }, xml('item-not-found', { xmlns: NS.stanzas }));
  link.answer(DISCO_INFO, 'query', (stanza) => {
    const to = stanza.attrs.to ?? '';
    const target = gateway.targetOf(to);
    if (target) return gateway.discoInfo(target);
    const node = stanza.getChild('query')?.attrs.node;
    return discoInfo(to, domain, node) ?? notFound();
  });
  // XEP-0425 requests to a gateway room (v0.2 and v0.3+); other rooms are not ours.
  const moderation = (stanza: Element) => {
    const target = gateway.targetOf(stanza.attrs.to);
    return target ? gateway.onModerationIq(target, stanza) : notFound();
  };
  link.answer(NS.fasten, 'apply-to', moderation, 'set');
  link.answer(NS.moderate1, 'moderate', moderation, 'set');
  link.answer(
    DISCO_ITEMS,
    'query',
    (stanza) => discoItems(stanza.attrs.to ?? '', domain, gateway) ?? notFound(),
  );
}
