/**
 * One-to-one chats. An XMPP user writing to `<escaped MXID>@<component>` gets a direct-chat room
 * with that Matrix user invited (made on the first message; the user is invited back when they
 * left it and the contact writes again: by the bot, or in a chat the Matrix user started by
 * inviting the ghost, by the ghost). A Matrix user who invites a ghost to a direct chat starts one
 * from their side (connector.ts). The room's key is `dm/<bare JID>/<MXID>`.
 */
import type { Element } from '@xmpp/xml';
import type {
  MatrixUserId,
  PortalKey,
  PortalRecord,
  RemoteUserId,
} from '../../../src/connector.js';
import { serverOf, type XmppDeps } from '../deps.js';
import { bareOf, dmPortal, jidMatrixUser, safeJid, xmppUser } from '../ids.js';
import type { ReactionSets } from '../messages/reactions.js';
import { buildError, buildMessage, NS, newId, type ParsedMessage } from '../connection/stanzas.js';
import { eventsOf } from '../messages/to-matrix.js';
import { mediaFromLink } from '../messages/media.js';
import { Subscriptions } from './subscriptions.js';
import { ContactPresence } from './contact-presence.js';
import { avatarNotification, nickOf } from '../avatars/vcard.js';
import { bounceable, bounceRef } from '../messages/outcomes.js';
import { kept } from '../util/kept.js';

/** A direct chat a message goes to (DirectChats.deliver). */
export interface Chat {
  key: PortalKey;
  owner: MatrixUserId;
  /** Who wrote (their ghost speaks in the room). */
  sender: RemoteUserId;
  /** The room's name when it is made. */
  roomName: string;
  /** The sender's ghost's display name. */
  name: string;
  /** The address XEP-0184 receipts go from (the Matrix user's, as the message reached it). */
  receiptFrom: string;
}

/** What opening a chat's room needs of it. */
type ChatRoom = Pick<Chat, 'key' | 'owner' | 'sender' | 'roomName'>;

export class DirectChats {
  /** DM portals whose owner is known to be in (or invited to) the room since the bridge started. */
  private readonly ready = new Set<string>();
  /** Contacts' names as they last gave them (XEP-0172), to name their ghosts once. */
  private readonly named = new Map<string, string>();

  /** Contacts who see Matrix users' presence (subscriptions.ts). */
  readonly subscriptions: Subscriptions;
  /** Contacts' own presence on their ghosts (contact-presence.ts). */
  readonly contacts: ContactPresence;

  constructor(
    private readonly d: XmppDeps,
    private readonly reactions: ReactionSets,
  ) {
    this.subscriptions = new Subscriptions(d);
    this.contacts = new ContactPresence(d);
  }

  /** A chat (or normal) message to one of the component's users. */
  onMessage(el: Element, m: ParsedMessage): void {
    const { ctx, link } = this.d;
    const from = safeJid(m.from);
    const to = safeJid(m.to);
    if (!from || !to || from.domain === link.domain) return;
    if (m.type === 'error') {
      ctx.log.info({ xmpp: m.from, error: m.error }, 'an XMPP message from Matrix bounced');
      return;
    }
    const owner = jidMatrixUser(to, link.domain);
    if (!owner || serverOf(owner) !== ctx.domain) {
      void link
        .send(buildError(el, 'cancel', 'item-not-found', 'no such Matrix user on this bridge'))
        .catch(() => undefined);
      return;
    }
    const contact = from.bare().toString();
    const nick = nickOf(el); // XEP-0172
    const key = dmPortal(contact, owner);
    // Their avatar: a XEP-0084 notification tells a new one; else their vCard, once per run.
    const src = { ghost: xmppUser(contact), portal: key, from: link.domain, to: contact };
    const pep = avatarNotification(el);
    if (pep !== undefined) return this.d.avatars?.told(src, pep && pep.id, 'pep');
    if (m.body !== undefined) this.d.avatars?.unknown(src);
    this.deliver(el, m, {
      key,
      owner,
      sender: xmppUser(contact),
      roomName: contact,
      name: nick || from.local,
      receiptFrom: `${bareOf(to)}/${ctx.config.resource}`,
    });
  }

  /**
   * Bridges a chat message into `owner`'s direct chat with `sender` (made, or `owner` invited
   * back, first), in the chat's order; a chat state alone makes no room. Also a MUC occupant's
   * private message (muc/private.ts).
   */
  deliver(el: Element, m: ParsedMessage, chat: Chat): void {
    const { ctx, link } = this.d;
    const { key, sender } = chat;
    const content = m.body !== undefined || m.reactions || m.retracts;
    void this.d.chain.run(
      key,
      async () => {
        if (!content && !this.ready.has(key)) return;
        const events = await eventsOf(
          m,
          { portal: key, sender, id: m.id ?? m.originId ?? newId(), ref: (id) => id },
          this.reactions,
          (url) => mediaFromLink(this.d.ctx, url),
        );
        if (events.length === 0) return;
        if (!this.ready.has(key)) await this.open(chat);
        await this.name(sender, chat.name);
        // What Matrix refuses for good bounces back to the sender (messages/outcomes.ts).
        for (const e of events) await this.d.emit(e, bounceable(e) ? bounceRef(m) : undefined);
        // XEP-0184: the sender asked to hear that it arrived; it is in the Matrix room now.
        if (m.id && m.body !== undefined && el.getChild('request', NS.receipts))
          await link.send(
            buildMessage({
              type: 'chat',
              from: chat.receiptFrom,
              to: m.from,
              id: newId(),
              received: m.id,
            }),
          );
      },
      (err) => ctx.log.warn({ err, portal: key }, 'an XMPP chat message was not bridged'),
    );
  }

  /**
   * The room exists and its owner is in it or invited (back): the message waits for them there.
   * Where neither the bot nor the ghost may invite them (the ghost is not in the room, or the
   * room's `invite` level is above it) and they are known to have left, the chat moves to a new
   * room of the bot's, with them invited.
   */
  private async open(chat: ChatRoom): Promise<void> {
    const { ctx } = this.d;
    const { key, owner } = chat;
    const info = {
      key,
      name: chat.roomName,
      joinRule: 'invite' as const,
      invite: [owner],
      isDirect: true,
    };
    await ctx.ensurePortal(info);
    this.ready.add(kept(key));
    try {
      // In a chat they started by inviting the ghost, the bot is not in the room: the ghost is.
      await ctx.invite(key, owner, { as: chat.sender });
    } catch (err) {
      // Forbidden also where the owner is in the room still (neither can read it): moved only
      // when they are known to have left. Else the room stays, and so does what is known.
      if (!forbidden(err) || !(await ctx.kv.get(leftKey(key))) || !ctx.unlinkPortal)
        return ctx.log.debug({ err, portal: key }, 'DM room: no invite sent');
      const old = await ctx.unlinkPortal(key);
      await ctx.ensurePortal(info);
      this.ready.add(kept(key)); // unlinking forgot it
      ctx.log.info(
        { portal: key, oldRoomId: old?.roomId },
        'DM room: its owner could not be invited back there: the chat moved to a new room',
      );
    }
    await ctx.kv.delete(leftKey(key));
  }

  /** `owner` asked for a chat with `contact` (`xmpp chat`): its room, made or found, them invited. */
  async start(contact: string, owner: MatrixUserId): Promise<PortalRecord> {
    const key = dmPortal(contact, owner);
    let failure: unknown;
    await this.d.chain.run(
      key,
      () => this.open({ key, owner, sender: xmppUser(contact), roomName: contact }),
      (err) => (failure = err),
    );
    if (failure) throw failure;
    return this.d.ctx.ensurePortal({ key });
  }

  private async name(sender: RemoteUserId, name: string): Promise<void> {
    if (this.named.get(sender) === name) return;
    await this.d.ctx.setGhostProfile(sender, { displayName: name });
    this.named.set(kept(sender), kept(name));
  }

  /** A roster subscription to a Matrix user's address, answered (subscriptions.ts); else false. */
  onSubscription(el: Element): boolean {
    return this.subscriptions.onSubscription(el);
  }

  /**
   * The room is linked (made here, by a Matrix user's invite of the ghost, or found at start):
   * ready, unless its owner left it (then the next message invites them back first).
   */
  async linked(key: string): Promise<void> {
    if (!(await this.d.ctx.kv.get(leftKey(key)))) this.ready.add(kept(key));
  }

  /**
   * The owner left the room: the next message from the contact invites them back. Kept in the
   * store: after a restart, a chat nobody may invite them back to still moves (open).
   */
  async ownerLeft(key: string): Promise<void> {
    this.ready.delete(key);
    await this.d.ctx.kv.set(leftKey(key), true);
  }
}

/** Set while a chat's owner is out of its room. */
const leftKey = (key: string) => `${key}/left`;

const forbidden = (err: unknown) => (err as { errcode?: string }).errcode === 'M_FORBIDDEN';
