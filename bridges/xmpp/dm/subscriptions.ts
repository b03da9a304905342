/**
 * Roster subscriptions (RFC 6121 §3–4) to Matrix users' addresses: an XMPP user who adds a Matrix
 * user as a contact (what clients do before a chat) asks to see their presence. A Matrix user of
 * this bridge's homeserver is approved at once (`subscribed`) and shown available, since the
 * bridge delivers chats to them whenever it runs; probes (the server asks for the contacts'
 * presence at each login) are answered the same way. An address that names no such Matrix user
 * is refused (`unsubscribed`). The contacts are kept in the bridge's store: when the bridge stops
 * cleanly each is told its Matrix contacts are unavailable, and when it is back, available again.
 * Their presence follows their Matrix presence where the homeserver gives it (connector.ts).
 * The contact is asked back (`subscribe` from the Matrix user's address), so that their own
 * presence shows on their ghost once they approve (contact-presence.ts); it is probed at each
 * (re)connection.
 */
import type { Element } from '@xmpp/xml';
import { xml } from '@xmpp/xml';
import { serverOf, type XmppDeps } from '../deps.js';
import { bareOf, jidMatrixUser, matrixUserJid, safeJid } from '../ids.js';
import { kept } from '../util/kept.js';

const HANDLED = new Set(['subscribe', 'unsubscribe', 'probe', 'subscribed', 'unsubscribed']);
const KEY = 'presence-subscribers';

export class Subscriptions {
  /** A Matrix user's bare address → the contacts who see their presence. */
  private subs = new Map<string, Set<string>>();
  private loaded?: Promise<void>;

  constructor(private readonly d: XmppDeps) {}

  /**
   * Answers a subscription presence to one of the component's users; false when `el` is not one
   * (an available or unavailable presence, a MUC's: for the others).
   */
  onSubscription(el: Element): boolean {
    const type = el.attrs.type;
    if (!type || !HANDLED.has(type)) return false;
    const from = safeJid(el.attrs.from ?? '');
    const to = safeJid(el.attrs.to ?? '');
    const { ctx, link } = this.d;
    if (!from || !to || from.domain === link.domain || to.domain !== link.domain || !to.local)
      return true;
    // Their answers to the bridge's requests: their server sends (or stops) their presence.
    if (type === 'subscribed' || type === 'unsubscribed') return true;
    const owner = jidMatrixUser(to, link.domain);
    const known = !!owner && serverOf(owner) === ctx.domain;
    const contact = bareOf(from);
    const self = bareOf(to);
    if (type === 'unsubscribe' || !known) {
      this.send(xml('presence', { type: 'unsubscribed', from: self, to: contact }));
      this.note(self, contact, false);
      return true;
    }
    if (type === 'subscribe') {
      this.send(xml('presence', { type: 'subscribed', from: self, to: contact }));
      // Asked back: their presence on their ghost (their server answers at once if approved).
      this.send(xml('presence', { type: 'subscribe', from: self, to: contact }));
    }
    // Available from the address chats go from (subscribe and probe alike).
    this.send(this.available(self, owner, contact));
    this.note(self, contact, true);
    return true;
  }

  /**
   * The bridge is (back) online: every contact sees their Matrix contacts available, and their
   * own presence is asked for (a probe: what changed while the bridge was away).
   */
  announce(): void {
    void this.load().then(() => {
      for (const [self, contacts] of this.subs) {
        const owner = jidMatrixUser(safeJid(self)!, this.d.link.domain);
        if (!owner) continue;
        for (const c of contacts) {
          this.send(this.available(self, owner, c));
          this.send(xml('presence', { type: 'probe', from: self, to: c }));
        }
      }
    });
  }

  /** The bridge stops: every contact sees their Matrix contacts unavailable (sent before it goes). */
  async goodbye(): Promise<void> {
    await this.load();
    const { resource } = this.d.ctx.config;
    const sent: Promise<void>[] = [];
    for (const [self, contacts] of this.subs)
      for (const to of contacts)
        sent.push(
          this.d.link
            .send(xml('presence', { type: 'unavailable', from: `${self}/${resource}`, to }))
            .catch(() => undefined),
        );
    await Promise.all(sent);
  }

  /** A Matrix user's presence (or avatar) changed: their contacts are told. */
  changed(owner: string): void {
    const self = matrixUserJid(owner, this.d.link.domain);
    if (!self) return;
    void this.load().then(() => {
      for (const c of this.subs.get(self) ?? []) this.send(this.available(self, owner, c));
    });
  }

  /**
   * Their presence: available (with show, status and their avatar's XEP-0153 hash, as far as the
   * bridge knows them), or unavailable while they are offline on Matrix.
   */
  private available(self: string, owner: string, contact: string): Element {
    const from = `${self}/${this.d.ctx.config.resource}`;
    const profiles = this.d.profiles;
    if (profiles?.offline(owner))
      return xml('presence', { type: 'unavailable', from, to: contact });
    return xml('presence', { from, to: contact }, ...(profiles?.presenceChildren(owner) ?? []));
  }

  private send(stanza: Element): void {
    void this.d.link.send(stanza).catch((err: unknown) => {
      this.d.ctx.log.debug({ err, xmpp: stanza.attrs.to }, 'a subscription answer was not sent');
    });
  }

  private load(): Promise<void> {
    return (this.loaded ??= this.d.ctx.kv
      .get<Record<string, string[]>>(KEY)
      .then((stored) => {
        for (const [self, contacts] of Object.entries(stored ?? {})) {
          const set = this.subs.get(self) ?? new Set<string>();
          for (const c of contacts) set.add(c);
          this.subs.set(self, set);
        }
      })
      .catch((err: unknown) => this.d.ctx.log.warn({ err }, 'presence subscribers not read')));
  }

  /** A contact subscribed (or probed) or left: kept in the store when that changed. */
  private note(self: string, contact: string, subscribed: boolean): void {
    void this.load().then(async () => {
      const set = this.subs.get(self) ?? new Set<string>();
      if (set.has(contact) === subscribed) return;
      if (subscribed) set.add(kept(contact));
      else set.delete(contact);
      if (set.size > 0) this.subs.set(kept(self), set);
      else this.subs.delete(self);
      const all = Object.fromEntries([...this.subs].map(([k, v]) => [k, [...v]]));
      await this.d.ctx.kv.set(KEY, all);
    });
  }
}
