/**
 * Roster subscriptions (RFC 6121 §3–4) to Matrix users' addresses: an XMPP user who adds a Matrix
 * user as a contact (what clients do before a chat) asks to see their presence. A Matrix user of
 * this bridge's homeserver is approved at once (`subscribed`) and shown available, since the
 * bridge delivers chats to them whenever it runs; probes (the server asks for the contacts'
 * presence at each login) are answered the same way. An address that names no such Matrix user
 * is refused (`unsubscribed`). The Matrix users' own presence on Matrix is not read.
 */
import type { Element } from '@xmpp/xml';
import { xml } from '@xmpp/xml';
import { serverOf, type XmppDeps } from '../deps.js';
import { bareOf, jidMatrixUser, safeJid } from '../ids.js';
import { photoUpdate } from '../avatars/vcard.js';

const HANDLED = new Set(['subscribe', 'unsubscribe', 'probe', 'subscribed', 'unsubscribed']);

/**
 * Answers a subscription presence to one of the component's users; false when `el` is not one
 * (an available or unavailable presence, a MUC's: for the others).
 */
export function onSubscription(d: XmppDeps, el: Element): boolean {
  const type = el.attrs.type;
  if (!type || !HANDLED.has(type)) return false;
  const from = safeJid(el.attrs.from ?? '');
  const to = safeJid(el.attrs.to ?? '');
  const { ctx, link } = d;
  if (!from || !to || from.domain === link.domain || to.domain !== link.domain || !to.local)
    return true;
  // Their own approvals and refusals of the Matrix user's requests: the bridge asks for none.
  if (type === 'subscribed' || type === 'unsubscribed') return true;
  const owner = jidMatrixUser(to, link.domain);
  const known = !!owner && serverOf(owner) === ctx.domain;
  const contact = bareOf(from);
  const self = bareOf(to);
  const send = (stanza: Element) =>
    void link.send(stanza).catch((err: unknown) => {
      ctx.log.debug({ err, xmpp: contact }, 'a subscription answer was not sent');
    });
  if (type === 'unsubscribe' || !known) {
    send(xml('presence', { type: 'unsubscribed', from: self, to: contact }));
    return true;
  }
  if (type === 'subscribe') send(xml('presence', { type: 'subscribed', from: self, to: contact }));
  // Available from the address chats go from (subscribe and probe alike).
  // With their avatar's hash (XEP-0153) when the bridge knows it.
  const hash = d.profiles?.hash(owner);
  send(
    xml(
      'presence',
      { from: `${self}/${ctx.config.resource}`, to: contact },
      hash === undefined ? null : photoUpdate(hash),
    ),
  );
  return true;
}
