/**
 * Private messages through a MUC portal (XEP-0045 §7.5), as matrix-bifrost bridges them: each
 * (Matrix user, XMPP occupant) pair has a direct chat of its own, `pm/<room>/<MXID>/<nick>`, with
 * the occupant's ghost of the MUC portal (`@xmpp_<room>/<nick>`, by the nick it is named by:
 * the first one where the room gives XEP-0421 occupant-ids). From XMPP, an occupant's private
 * message to a Matrix user's occupant opens it (the Matrix user is invited, as for a one-to-one
 * chat: dm/dm.ts). From Matrix, the user's messages there go from their occupant to the
 * occupant's nick now, through the room; a Matrix user starts one by inviting the ghost to a
 * direct chat. The room delivers private messages only while both are in it: a message to an
 * occupant who left is refused to the sender, the chat is told when the occupant leaves, and a
 * room that refuses private messages (ejabberd's `allow_private_messages: false`, Prosody's
 * `mod_muc_restrict_pm`) answers with an error the sender is told.
 */
import type { Element } from '@xmpp/xml';
import { BridgeError, type MatrixUserId } from '../../../src/connector.js';
import type { XmppDeps } from '../deps.js';
import type { DirectChats } from '../dm/dm.js';
import { mucPrivatePortal, xmppUser } from '../ids.js';
import type { Route } from '../messages/from-matrix.js';
import { buildError, buildMessage, newId, type ParsedMessage } from '../connection/stanzas.js';
import { answerOf, currentNick, ghostNick, isReader, ourOccupant, type Room } from './muc-room.js';
import { kept } from '../util/kept.js';

/**
 * How long a private message waits for the room's refusal before it counts as delivered (the room
 * answers a refusal at once; a delivered message has no answer). Core goes on meanwhile.
 */
export const REFUSAL_WINDOW_MS = 2_000;

export class PrivateChats {
  /** The private chats core has, per room and ghost nick: their Matrix users. */
  private readonly chats = new Map<string, Map<string, Set<MatrixUserId>>>();

  /** Who was told that the bridge's reader is no one to write to (`room/nick`): once each. */
  private readonly toldReader = new Set<string>();

  constructor(
    private readonly d: XmppDeps,
    private readonly dms: DirectChats,
    /** The MUC portals' rooms (muc.ts). */
    private readonly rooms: Map<string, Room>,
  ) {}

  /** Whether a chat's two occupants are both in the room now (typing, receipts go only then). */
  canReach(chat: { room: string; owner: MatrixUserId; nick: string }): boolean {
    const room = this.rooms.get(chat.room);
    return room?.occupants.get(chat.owner)?.state === 'joined' && room.remote.has(chat.nick);
  }

  /** A chat exists (or is being made): its owner is told when the occupant leaves. */
  note(room: string, nick: string, owner: MatrixUserId): void {
    let byNick = this.chats.get(room);
    if (!byNick) this.chats.set(kept(room), (byNick = new Map()));
    let owners = byNick.get(nick);
    if (!owners) byNick.set(kept(nick), (owners = new Set()));
    owners.add(owner);
  }

  /** The portal of a chat is linked (at start, or made now). */
  async linked(key: string, room: string, nick: string, owner: MatrixUserId): Promise<void> {
    this.note(room, nick, owner);
    await this.dms.linked(key);
  }

  /** An occupant's private message (chat or normal) to one of our occupants. */
  onMessage(room: Room, nick: string, el: Element, m: ParsedMessage): void {
    // One Matrix user's occupant to another's: they have Matrix to talk in.
    if (ourOccupant(room, nick)) return;
    const owner = [...room.occupants.values()].find((o) => o.full === m.to && o.state !== 'left');
    if (owner && isReader(owner)) {
      // An error from an occupant makes the room drop it (Prosody: "Kicked: service unavailable"),
      // so the reader answers once per nick with a message of its own.
      const told = `${room.jid}/${nick}`;
      if (m.body === undefined || this.toldReader.has(told)) return;
      this.toldReader.add(told);
      const body = `This is the Matrix bridge, which reads this room: nobody reads what you send it. Write to a Matrix user's nick (they are in the room once they have spoken there).`;
      void this.d.link
        .send(buildMessage({ type: 'chat', from: owner.full, to: m.from, id: newId(), body }))
        .catch(() => undefined);
      return;
    }
    if (!owner) {
      if (m.body !== undefined)
        void this.d.link
          .send(buildError(el, 'cancel', 'service-unavailable', 'no Matrix user is here'))
          .catch(() => undefined);
      return;
    }
    const ghost = ghostNick(room, nick);
    this.note(room.jid, ghost, owner.userId);
    this.dms.deliver(el, m, {
      key: mucPrivatePortal(room.jid, owner.userId, ghost),
      owner: owner.userId,
      sender: xmppUser(`${room.jid}/${ghost}`),
      roomName: `${nick} (${room.jid})`,
      name: nick,
      receiptFrom: owner.full,
    });
  }

  /**
   * Where a Matrix user's message in a private chat goes: from their occupant to the occupant's
   * nick now. Refused (the user is told) when either is not in the room.
   */
  route(jid: string, owner: MatrixUserId, ghost: string): Route {
    const room = this.rooms.get(jid);
    const o = room?.occupants.get(owner);
    if (!room || o?.state !== 'joined')
      throw new BridgeError(
        'rejected',
        `you are not in ${jid} now, so ${ghost} cannot get private messages from you there: enter its Matrix room first`,
      );
    const nick = currentNick(room, ghost);
    if (!room.remote.has(ghost))
      throw new BridgeError(
        'rejected',
        `${nick} left ${jid}: the message cannot be delivered (XMPP delivers private messages only while both are in the room)`,
      );
    this.note(jid, ghost, owner);
    return {
      type: 'chat',
      private: true,
      from: o.full,
      to: `${jid}/${nick}`,
      ref: (id) => id,
      original: (id) => id,
      // No refusal within the window: delivered.
      reflected: (id) => answerOf(room.privateSends, id, REFUSAL_WINDOW_MS),
    };
  }

  /** The room answered a private message of ours with an error: its sender is told why. */
  refused(room: Room, nick: string | undefined, m: ParsedMessage): boolean {
    const pending = m.id ? room.privateSends.get(m.id) : undefined;
    if (!pending || !m.id) return false;
    room.privateSends.delete(m.id);
    const who = nick ?? 'the occupant';
    const why = m.error?.text ?? m.error?.condition ?? 'refused';
    const text =
      m.error?.condition === 'item-not-found'
        ? `${who} is not in ${room.jid} any more: the message was not delivered`
        : m.error?.condition === 'not-acceptable'
          ? `you are not in ${room.jid} now: the message was not delivered`
          : `${room.jid} refused the private message to ${who}: ${why}`;
    pending.reject(new BridgeError('rejected', text));
    return true;
  }

  /** An occupant's ghost left the room: their private chats are told (nothing reaches them now). */
  left(room: Room, ghost: string, nick: string, newNick?: string): void {
    const owners = this.chats.get(room.jid)?.get(ghost);
    if (!owners) return;
    const text = newNick
      ? `${nick} is now ${newNick} in ${room.jid}: messages here do not reach them any more (a private message from or to ${newNick} is a chat of its own)`
      : `${nick} left ${room.jid}: messages here cannot be delivered until they are back in the room`;
    for (const owner of owners)
      this.d.post({
        kind: 'bridge-notice',
        portal: mucPrivatePortal(room.jid, owner, ghost),
        sender: xmppUser(`${room.jid}/${ghost}`),
        text,
      });
  }
}
