/** Matrix → network: the events core hands a connector, and what the network answers. */
import type { MessageContent } from '../format/content.js';
import type {
  MatrixEventId,
  MatrixRoomId,
  MatrixUserId,
  PortalKey,
  RemoteMessageId,
} from './ids.js';

/** Who sent a Matrix event, as core knows them. */
export interface MatrixSender {
  userId: MatrixUserId;
  displayName: string;
  /**
   * Their avatar in the room (an `mxc://` URL), when they have one: `downloadMedia` fetches it,
   * `publicLink` makes a link for networks that show a picture by URL.
   */
  avatarUrl?: string;
  /** Set when the sender is another bridge's ghost: that bridge's id (a room linked to two networks). */
  viaBridge?: string;
}

interface MatrixEventBase {
  portal: PortalKey;
  roomId: MatrixRoomId;
  eventId: MatrixEventId;
  sender: MatrixSender;
  timestamp: number;
}

export interface MatrixMessage extends MatrixEventBase {
  content: MessageContent;
  /**
   * The remote id of the message this one replies to, when core knows it. For a connector with
   * `threads`, a thread's fallback reply (`is_falling_back`, for clients without threads) is not
   * one: only a real reply inside the thread is.
   */
  replyTo?: RemoteMessageId;
  /**
   * The message is in a Matrix thread (`m.thread`) whose root was bridged: the root's remote id.
   * Set only for a connector with the `threads` capability; others see the thread's fallback as a
   * reply (`replyTo`) to the latest message of the thread.
   */
  thread?: RemoteMessageId;
  /**
   * The message this one replies to, as Matrix has it (for networks without replies, which
   * quote it): set whenever core could fetch the replied-to event, bridged or not.
   */
  inReplyTo?: RepliedMessage;
}

/** A replied-to Matrix message, for a quote. */
export interface RepliedMessage {
  eventId: MatrixEventId;
  sender: MatrixUserId;
  /** The sender's display name in the room (their localpart when they have none). */
  senderName: string;
  /** Its plain text (a reply's own fallback removed; an edited message's latest text when known). */
  text: string;
  /** Its id on this network, when it was bridged. */
  remoteId?: RemoteMessageId;
}

export interface MatrixEdit extends MatrixEventBase {
  target: RemoteMessageId;
  content: MessageContent;
}

export interface MatrixRedaction extends MatrixEventBase {
  target: RemoteMessageId;
  reason?: string;
  /**
   * Who sent the redacted event, when core could tell (it asks the homeserver; a redacted event
   * keeps its sender): a network that removes another's message differently from one's own (a
   * moderator's removal) reads it. Absent when the event could not be fetched.
   */
  targetSender?: MatrixUserId;
  /**
   * When the redacted event was sent (its `origin_server_ts`), fetched with `targetSender`: a
   * network whose archive is searched by time finds the message there (an XMPP room's archive,
   * when `target` is not the id the room knows it by).
   */
  targetTimestamp?: number;
}

export interface MatrixReaction extends MatrixEventBase {
  target: RemoteMessageId;
  key: string;
}

/**
 * A Matrix user's presence (`m.presence`), as the homeserver sends it to appservices with
 * ephemeral events (Synapse does, for users who share a room with the bridge's users). It is the
 * user's, not a room's: no portal. Never a ghost's (of any bridge) nor the bridge bot's.
 */
export interface MatrixPresence {
  userId: MatrixUserId;
  presence: 'online' | 'unavailable' | 'offline';
  /** Their status text, when they set one. */
  statusMsg?: string;
}

export interface MatrixTyping {
  portal: PortalKey;
  roomId: MatrixRoomId;
  userId: MatrixUserId;
  typing: boolean;
}

/**
 * A Matrix user read the room up to an event that was bridged to this network (a public `m.read`
 * receipt). Only the newest receipt per user and room is handed over: a burst of receipts while
 * the room is busy costs one call per user.
 */
export interface MatrixReceipt {
  portal: PortalKey;
  roomId: MatrixRoomId;
  userId: MatrixUserId;
  /** The event read. */
  eventId: MatrixEventId;
  /** Its id on this network (from the message map). */
  target: RemoteMessageId;
  /** When they read it (ms since the epoch), as the receipt says. */
  ts?: number;
}

/**
 * A membership change in a portal's room. Of the bridge's own ghosts, only what users do to them
 * (invite, kick, ban, unban) comes: their own joins and leaves are the bridge's doing.
 */
export interface MatrixMembership extends MatrixEventBase {
  /** The user whose membership changed (the state key). */
  target: MatrixUserId;
  /** `unban`: a ban of the target was lifted (their membership went from ban to leave). */
  membership: 'join' | 'leave' | 'invite' | 'ban' | 'kick' | 'unban';
  reason?: string;
}

/**
 * A Matrix user changed the room's pinned events (`m.room.pinned_events`). Only events bridged to
 * this network count: `pinned` is the whole list now (their remote ids, in the room's order),
 * `added` and `removed` what changed since the previous list.
 */
export interface MatrixPins extends MatrixEventBase {
  pinned: RemoteMessageId[];
  added: RemoteMessageId[];
  removed: RemoteMessageId[];
}

/** A Matrix user changed the room's topic. */
export interface MatrixTopic extends MatrixEventBase {
  topic: string;
}

/** A Matrix user changed the room's power levels (`m.room.power_levels`). */
export interface MatrixPowerLevels extends MatrixEventBase {
  /**
   * The users whose level changed, with their new level (the room's `users_default` when their
   * entry went away) and the one before. Empty when only other settings changed.
   */
  changes: { userId: MatrixUserId; level: number; previous: number }[];
  /** The level the room now asks to redact another user's event (`redact`, 50 when unset). */
  redact?: number;
}

/** The `m.call.*` event types of Matrix VoIP, without the `m.call.` prefix. */
export type CallAction =
  'invite' | 'candidates' | 'answer' | 'select_answer' | 'negotiate' | 'hangup' | 'reject';

/** An ICE candidate as `m.call.candidates` carries it (an empty `candidate`: end of candidates). */
export interface CallCandidate {
  candidate: string;
  sdpMid?: string;
  sdpMLineIndex?: number;
}

/**
 * One step of a call's signalling (Matrix VoIP, `m.call.<action>`), the same both ways: from
 * Matrix in `MatrixCall`, to Matrix in the remote event `call`.
 */
export interface CallSignal {
  action: CallAction;
  callId: string;
  /** The sending device's party id (VoIP v1). Core fills one in for a ghost when it is absent. */
  partyId?: string;
  /** `'1'` (core's default for a ghost) or `0` from old clients. */
  version?: string | number;
  /** invite: the offer; answer: the answer; negotiate: the offer or answer in `sdpType`. */
  sdp?: string;
  sdpType?: 'offer' | 'answer';
  /** candidates: the trickled ICE candidates. */
  candidates?: CallCandidate[];
  /** invite: how long it rings, in milliseconds; negotiate: how long the offer is valid. */
  lifetime?: number;
  /** invite: the user called (a DM with more members); unset: anyone in the room. */
  invitee?: string;
  /** hangup/reject: `user_hangup`, `user_busy`, `invite_timeout`, `ice_failed`, … */
  reason?: string;
  /** select_answer: the party whose answer the caller took. */
  selectedPartyId?: string;
}

/** A Matrix user's call signalling in a portal's room (`m.call.*`). */
export interface MatrixCall extends MatrixEventBase, CallSignal {}

/** What a network answers when it accepted a Matrix event. */
export interface SendResult {
  remoteId: RemoteMessageId;
  /**
   * For a network that answers a send later than it takes it (IRC's labeled-response, a mail
   * server's bounce): resolves when it has taken the message, rejects (a BridgeError) when it
   * refused it. Core goes on to the room's next event meanwhile, so the network's round trip does
   * not cap a room's rate, and tells the sender of a refusal as of any failure. Leave it out when
   * the returned promise already means the network took the message. It may resolve with more ids
   * the network gave the message once it took it (IRC's msgid for each line): core maps them to
   * the event too, so that the network's later references to them (a reply) find it.
   */
  confirmed?: Promise<RemoteMessageId[] | void>;
}
