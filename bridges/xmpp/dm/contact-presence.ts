/**
 * A contact's own presence on their ghost. A contact who subscribes to a Matrix user's address
 * is asked back (subscriptions.ts sends `subscribe` from that address); once they approve, their
 * server sends their presence there, and the bridge probes it at each (re)connection. Each of
 * their sessions (resources) counts: the most available one is their ghost's presence (online,
 * away as `unavailable`, offline when the last one left), with its status text, and the avatar
 * hash (XEP-0153) it tells. Presence is the user's, not a room's: it is emitted through their
 * direct chat with that Matrix user (core refuses it, at debug level, before the chat exists).
 */
import type { Element } from '@xmpp/xml';
import { presencePhotoHash } from '../avatars/vcard.js';
import type { GhostPresence } from '../avatars/ghost-avatars.js';
import { NS } from '../connection/stanzas.js';
import { serverOf, type XmppDeps } from '../deps.js';
import { bareOf, dmPortal, jidMatrixUser, safeJid, xmppUser } from '../ids.js';

interface Session {
  presence: GhostPresence;
  status?: string;
}

/** Sessions a contact may have at once before the oldest is forgotten (a bound on memory). */
const MAX_SESSIONS = 16;

export class ContactPresence {
  /** A contact's bare address → their sessions' presence, by resource. */
  private readonly sessions = new Map<string, Map<string, Session>>();

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
    let sessions = this.sessions.get(contact);
    if (!sessions) this.sessions.set(contact, (sessions = new Map()));
    const resource = from.resource ?? '';
    sessions.delete(resource);
    if (type !== 'unavailable') {
      const show = el.getChildText('show');
      const status = el.getChildText('status')?.trim().slice(0, 512) || undefined;
      sessions.set(resource, {
        presence: show && show !== 'chat' ? 'unavailable' : 'online',
        ...(status ? { status } : {}),
      });
      if (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
    }
    const best =
      [...sessions.values()].find((s) => s.presence === 'online') ?? [...sessions.values()].at(-1);
    if (sessions.size === 0) this.sessions.delete(contact);
    const src = {
      ghost: xmppUser(contact),
      portal: dmPortal(contact, owner),
      from: link.domain,
      to: contact,
    };
    this.d.avatars?.setPresence(src, best?.presence ?? 'offline', best?.status);
    const hash = type === 'unavailable' ? undefined : presencePhotoHash(el);
    if (hash !== undefined) this.d.avatars?.told(src, hash);
    return true;
  }
}
