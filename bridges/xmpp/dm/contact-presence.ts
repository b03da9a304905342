/**
 * A contact's own presence on their ghost. A contact who subscribes to a Matrix user's address
 * is asked back (subscriptions.ts sends `subscribe` from that address); once they approve, their
 * server sends their presence there, and the bridge probes it at each (re)connection. Each of
 * their sessions (resources) counts, with their sessions in gateway rooms: the most available one
 * is their ghost's presence (avatars/account-presence.ts), and the avatar hash (XEP-0153) it
 * tells. Presence is the user's, not a room's: it is emitted through their direct chat with that
 * Matrix user (core refuses it, at debug level, before the chat exists).
 */
import type { Element } from '@xmpp/xml';
import { sessionOf } from '../avatars/account-presence.js';
import { presencePhotoHash } from '../avatars/vcard.js';
import { NS } from '../connection/stanzas.js';
import { serverOf, type XmppDeps } from '../deps.js';
import { bareOf, dmPortal, jidMatrixUser, safeJid, xmppUser } from '../ids.js';

export class ContactPresence {
  constructor(private readonly d: XmppDeps) {}

  /**
   * A contact's available or unavailable presence to a Matrix user's address: set on their ghost.
   * False when `el` is not one (a MUC's presence, a subscription, an error): for the others.
   */
  onPresence(el: Element): boolean {
    const type = el.attrs.type;
    if ((type && type !== 'unavailable') || el.getChild('x', NS.mucUser)) return false;
    const { ctx, link } = this.d;
    const from = safeJid(el.attrs.from ?? '');
    const to = safeJid(el.attrs.to ?? '');
    if (!from?.local || !to?.local || from.domain === link.domain || to.domain !== link.domain)
      return false;
    const owner = jidMatrixUser(to, link.domain);
    if (!owner || serverOf(owner) !== ctx.domain) return true;
    const contact = bareOf(from);
    const src = {
      ghost: xmppUser(contact),
      portal: dmPortal(contact, owner),
      from: link.domain,
      to: contact,
    };
    const session = type === 'unavailable' ? undefined : sessionOf(el);
    this.d.accounts?.heard(src, `contact/${from.resource ?? ''}`, session);
    const hash = type === 'unavailable' ? undefined : presencePhotoHash(el);
    if (hash !== undefined) this.d.avatars?.told(src, hash);
    return true;
  }
}
