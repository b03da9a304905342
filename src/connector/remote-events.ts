/** Network → Matrix: the remote events a connector emits, and what core needs to make a room. */
import type { MessageContent } from '../format/content.js';
import type {
  MatrixRoomId,
  MatrixUserId,
  PortalKey,
  RemoteMessageId,
  RemoteUserId,
} from './ids.js';
import type { CallSignal } from './matrix-events.js';

interface RemoteEventBase {
  portal: PortalKey;
  sender: RemoteUserId;
  /** Milliseconds since the epoch, as the network stamped it; now if absent. */
  timestamp?: number;
}

export type RemoteEvent =
  | (RemoteEventBase & {
      kind: 'message';
      id: RemoteMessageId;
      content: MessageContent;
      replyTo?: RemoteMessageId;
      /**
       * The message belongs to the thread whose first message (root) is this remote id: core sends
       * it as an `m.thread` of the root's event (a real reply inside the thread when `replyTo` maps
       * too, else falling back to a reply to the root). A root Matrix never saw: a plain message.
       */
      thread?: RemoteMessageId;
    })
  | (RemoteEventBase & { kind: 'edit'; target: RemoteMessageId; content: MessageContent })
  | (RemoteEventBase & { kind: 'delete'; target: RemoteMessageId; reason?: string })
  | (RemoteEventBase & {
      kind: 'reaction';
      id: RemoteMessageId;
      target: RemoteMessageId;
      key: string;
    })
  | (RemoteEventBase & { kind: 'typing'; typing: boolean })
  | (RemoteEventBase & { kind: 'receipt'; upTo: RemoteMessageId })
  | (RemoteEventBase & {
      /**
       * The sender's presence (an IRC away status, XMPP presence, Discord's online/idle/offline),
       * set on their ghost. Presence is the user's, not a room's: `portal` is any portal they are
       * in (say the first), used only to order the event after that portal's earlier ones (the
       * ghost's join) and to find a room for the outbox; emit it once, not once per portal.
       * Best effort: when the homeserver refuses it (presence turned off), core drops it,
       * logged at debug level, without retries.
       */
      kind: 'presence';
      /** `unavailable`: away or idle. */
      presence: 'online' | 'unavailable' | 'offline';
      /** A status text (an away message); absent clears the ghost's earlier one. */
      status?: string;
    })
  | (RemoteEventBase & {
      kind: 'membership';
      /**
       * `kick`, `ban`: core's bot removes the sender's ghost. `unban`: the bot lifts the ghost's
       * ban (a ban lifted on the network; nothing when the ghost is not banned).
       */
      membership: 'join' | 'leave' | 'ban' | 'kick' | 'unban';
      /** For kick/ban/unban: who did it, when they are a remote user too. */
      actor?: RemoteUserId;
      reason?: string;
      /**
       * The change is of this Matrix user (one of the bridge's own users, kicked or banned on the
       * network), not of the sender's ghost: core's bot kicks or bans them from the room with
       * `reason` as it is. Only `kick` and `ban`; `sender` is who did it on the network.
       */
      matrixUser?: MatrixUserId;
    })
  | (RemoteEventBase & {
      kind: 'power-levels';
      /**
       * Matrix power levels of ghosts of this bridge (channel operators, say), set by core's bot in
       * one `m.room.power_levels` event. A level at or below the room's `users_default` removes the
       * ghost's entry. Levels are capped below the bot's own; users at or above it are left alone.
       * `sender` is who changed them on the network (not used by core).
       */
      levels: { user: RemoteUserId; level: number }[];
      /** `levels` is the whole list (a channel's NAMES): every other ghost of this bridge with an entry goes back to the default. */
      complete?: boolean;
    })
  | (RemoteEventBase & {
      kind: 'join-rule';
      /**
       * The remote chat opened to anyone (`public`) or closed to invited users (`invite`): core's
       * bot sets the room's join rule. `sender` is who changed it on the network (not used by core).
       */
      joinRule: 'public' | 'invite';
    })
  | (RemoteEventBase &
      CallSignal & {
        /**
         * Call signalling from the sender (a phone ringing, answering, hanging up): core sends
         * `m.call.<action>` as the sender's ghost, with `version` '1' and a `party_id` of the
         * ghost's own unless they are given.
         */
        kind: 'call';
      })
  | (RemoteEventBase & {
      /**
       * The bridge says something about the chat itself in its room (the bridge was away and what
       * was said meanwhile is lost, say): core's bot sends `text` as an `m.notice`. `sender` is
       * not used (no ghost is made); `timestamp`, when given, is the notice's time.
       */
      kind: 'bridge-notice';
      text: string;
    })
  | (RemoteEventBase & {
      /**
       * The chat's pinned messages now, the whole list in the network's order (a Discord channel's
       * pins): core's bot sets the room's `m.room.pinned_events` to their Matrix events (those it
       * has; others are left out) when that changes. `sender` is who changed them (not used by core).
       */
      kind: 'pins';
      pinned: RemoteMessageId[];
    })
  | (RemoteEventBase & { kind: 'topic'; topic: string })
  | (RemoteEventBase & { kind: 'name'; name: string });

export type RemoteEventKind = RemoteEvent['kind'];

/** A remote user's profile; the ghost takes it when it next acts. */
export interface GhostProfile {
  displayName?: string;
  avatarUrl?: string;
}

/** What core needs to make a Matrix room for a remote chat. */
export interface PortalInfo {
  key: PortalKey;
  name?: string;
  topic?: string;
  /** Anyone may join the room (a public channel), or only invited users. */
  joinRule?: 'public' | 'invite';
  /**
   * Matrix users the bot invites when it makes the room (only then: an existing portal is
   * returned as it is). For a private chat, the Matrix user it belongs to.
   */
  invite?: MatrixUserId[];
  /** A direct chat: the invites are marked `is_direct`, so clients list the room with their DMs. */
  isDirect?: boolean;
  /**
   * The room is a Matrix space (`m.space`): a group of rooms (a Discord guild, say), not a chat.
   * Only when core makes the room; an existing room stays what it is.
   */
  space?: boolean;
  /**
   * The key of a space portal (made with `space: true`, first) this room belongs to: core links
   * them (`m.space.child` in the space, `m.space.parent` in the room), once per start of the bridge,
   * for a new room and an existing one alike. A parent with no room is logged and skipped.
   */
  parent?: PortalKey;
  /**
   * An existing room to stand for the chat instead of a new one (an admin's static mapping): the
   * bot joins it (it must be invited, or the room public) and links it. It wins over another
   * room the chat was linked to before. `name`, `topic`, `joinRule` and `invite` are then unused.
   */
  roomId?: MatrixRoomId;
}
