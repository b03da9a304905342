/**
 * The connector API: the only module a bridge imports from core (besides `src/format/`).
 *
 * A bridge exports a `Connector`: a small required core (`start`, `stop`,
 * `handleMatrixMessage`) plus optional capability handlers. Core checks for a
 * capability with the type guards below where it is used; a missing handler is
 * a capability the network lacks, and core tells the Matrix sender so.
 */
import type { ZodType } from 'zod';
import type { Logger } from 'pino';
import type { MessageContent } from './format/content.js';

export type { MessageContent, Inline, Attachment } from './format/content.js';

type Brand<T, B extends string> = T & { readonly __brand: B };

/** A chat on the remote network, unique within one connector (e.g. `libera/#rust`). */
export type PortalKey = Brand<string, 'PortalKey'>;
/** A user on the remote network, unique within one connector (e.g. `libera/alice`). */
export type RemoteUserId = Brand<string, 'RemoteUserId'>;
/** A message on the remote network, unique within one portal. */
export type RemoteMessageId = Brand<string, 'RemoteMessageId'>;
/** `@localpart:server` */
export type MatrixUserId = Brand<string, 'MatrixUserId'>;
/** `!opaque:server` */
export type MatrixRoomId = Brand<string, 'MatrixRoomId'>;
/** `$opaque` */
export type MatrixEventId = Brand<string, 'MatrixEventId'>;

export const portalKey = (s: string) => s as PortalKey;
export const remoteUserId = (s: string) => s as RemoteUserId;
export const remoteMessageId = (s: string) => s as RemoteMessageId;

// ---------------------------------------------------------------- Matrix → network

/** Who sent a Matrix event, as core knows them. */
export interface MatrixSender {
  userId: MatrixUserId;
  displayName: string;
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
}

export interface MatrixReaction extends MatrixEventBase {
  target: RemoteMessageId;
  key: string;
}

export interface MatrixTyping {
  portal: PortalKey;
  roomId: MatrixRoomId;
  userId: MatrixUserId;
  typing: boolean;
}

export interface MatrixMembership extends MatrixEventBase {
  /** The user whose membership changed (the state key). */
  target: MatrixUserId;
  /** `unban`: a ban of the target was lifted (their membership went from ban to leave). */
  membership: 'join' | 'leave' | 'invite' | 'ban' | 'kick' | 'unban';
  reason?: string;
}

/** A Matrix user changed the room's topic. */
export interface MatrixTopic extends MatrixEventBase {
  topic: string;
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

// ---------------------------------------------------------------- network → Matrix

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
      membership: 'join' | 'leave' | 'ban' | 'kick';
      /** For kick/ban: who did it, when they are a remote user too. */
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
   * An existing room to stand for the chat instead of a new one (an admin's static mapping): the
   * bot joins it (it must be invited, or the room public) and links it. It wins over another
   * room the chat was linked to before. `name`, `topic`, `joinRule` and `invite` are then unused.
   */
  roomId?: MatrixRoomId;
}

// ---------------------------------------------------------------- context core gives a bridge

/** A bridge's own typed key-value store; core never reads it. */
export interface KeyValueStore {
  get<T>(key: string): Promise<T | undefined>;
  set<T>(key: string, value: T): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Seals short secrets (passwords) for storage, with a key of this bridge's own. */
export interface SecretSealer {
  seal(plaintext: string): string;
  /** Throws when the value was not sealed by this bridge or was changed. */
  unseal(sealed: string): string;
}

export interface PortalRecord {
  key: PortalKey;
  roomId: MatrixRoomId;
}

/** What a public link opens: Matrix media (an `mxc://` URL from an attachment), or a text. */
export type PublicLinkTarget = { mxc: string; name: string; mimeType?: string } | { text: string };

export interface EmitOptions {
  /**
   * What a stored event must survive before `emit` resolves. `power-loss` (the default): it is on
   * disk, so a network that acknowledges what it hands over (SMTP's 250, XMPP stream management)
   * may acknowledge then. `process-crash`: a crash of the bridge (kill -9) loses nothing, a crash
   * of the machine may lose the last events. For networks that never acknowledge (IRC, where a
   * line still in the socket buffer is lost either way) it saves a disk flush per event.
   */
  survives?: 'power-loss' | 'process-crash';
}

/** One value of a gauge a bridge reports, with its labels. */
export interface MetricSample<L extends string> {
  labels: Partial<Record<L, string>>;
  value: number;
}

/** Metrics a bridge adds to core's `/metrics`, named `switchboard_<bridge id>_<name>`. */
export interface BridgeMetrics {
  /** A counter (`_total` is added to the name). */
  counter<L extends string>(
    name: string,
    help: string,
    labels?: readonly L[],
  ): { inc(labels?: Partial<Record<L, string>>, by?: number): void };
  /** A gauge whose values `read` gives when `/metrics` is scraped (it costs nothing meanwhile). */
  gauge<L extends string>(
    name: string,
    help: string,
    labels: readonly L[],
    read: () => MetricSample<L>[],
  ): void;
}

export interface BridgeContext<C> {
  config: C;
  log: Logger;
  /** The homeserver's server name (`example.org`). */
  domain: string;
  /**
   * Queue a remote event for Matrix. Resolves once it is stored (as `opts.survives` asks): after
   * that, core delivers it in order, with retries, across restarts.
   */
  emit(event: RemoteEvent, opts?: EmitOptions): Promise<void>;
  /** Set a remote user's profile (display name, avatar) for their ghost. */
  setGhostProfile(user: RemoteUserId, profile: GhostProfile): Promise<void>;
  /** The Matrix user id of a remote user's ghost (for mentions). */
  ghostUserId(user: RemoteUserId): MatrixUserId;
  /** The remote user behind a Matrix user id, if it is one of this bridge's ghosts. */
  ghostRemoteId(userId: string): RemoteUserId | undefined;
  /** Fetch Matrix media (an `mxc://` URL from an attachment), for networks that carry files. */
  downloadMedia(mxc: string): Promise<{ data: Uint8Array; contentType: string }>;
  /**
   * Upload a file from the network as Matrix media (as the bridge bot): the `mxc://` URL to put in
   * an emitted message's `attachments`. Rejects when the homeserver refuses it (too large, say).
   */
  uploadMedia(data: Uint8Array, opts: { contentType: string; filename?: string }): Promise<string>;
  /** The room alias `#<prefix><localpart>:<domain>` that `resolveAlias(localpart)` answers. */
  portalAlias(localpart: string): string;
  /** Find or create the Matrix room for a remote chat. */
  ensurePortal(info: PortalInfo): Promise<PortalRecord>;
  portals(): Promise<PortalRecord[]>;
  /**
   * The remote users whose ghosts are in the portal's room now, as the homeserver has it (none
   * when there is no room): to set a chat's members right after the bridge was down.
   */
  portalGhosts(portal: PortalKey): Promise<RemoteUserId[]>;
  /**
   * A remote chat got a new key (an IRC nick change renames a private conversation): its room
   * stands for `to` from now on, and `from` has none. Resolves with the room, or undefined (and
   * changes nothing) when `from` had no room or `to` has one already.
   */
  renamePortal(from: PortalKey, to: PortalKey): Promise<PortalRecord | undefined>;
  /**
   * The bridge bot invites a Matrix user to the portal's room (an invite-only room they left, or
   * asked to enter); nothing when they are in it or invited already.
   */
  invite(portal: PortalKey, userId: MatrixUserId): Promise<void>;
  kv: KeyValueStore;
  /** Metrics of this bridge on core's `/metrics` (call at start: each name once). */
  metrics: BridgeMetrics;
  /**
   * Tells a Matrix user something about their own connection (kicked, logged out) in their
   * management room, the bot's direct chat with them. Resolves false when they have none.
   */
  notify(userId: MatrixUserId, text: string): Promise<boolean>;
  /** Encrypts secrets (users' network passwords) before they go into `kv`. */
  secrets: SecretSealer;
  /**
   * A signed, expiring link anyone can open to Matrix media or to a text (kept by core
   * until the link expires), for networks that carry only text. Undefined when the admin has
   * not set `public_links`.
   */
  publicLink(target: PublicLinkTarget): Promise<string | undefined>;
}

// ---------------------------------------------------------------- bot commands

export interface CommandContext {
  /** The Matrix user who typed the command. */
  sender: MatrixUserId;
  args: string[];
  /** Whether the sender is an admin in the bridge's config. */
  isAdmin: boolean;
  reply(text: string): Promise<unknown>;
  /**
   * Redacts the command's own Matrix event (the bridge bot does it), for a command that carries a
   * secret (`irc login … <password>`): call it once the arguments are read. Rejects when the bot
   * may not redact there (its power level); absent where core cannot redact at all.
   */
  redactCommand?(reason: string): Promise<void>;
}

export interface Command {
  name: string;
  /** One line of help, shown by `help`. */
  help: string;
  usage?: string;
  requiresAdmin?: boolean;
  run(ctx: CommandContext): Promise<unknown>;
}

// ---------------------------------------------------------------- errors

export type BridgeErrorCode =
  'unsupported' | 'not-connected' | 'too-large' | 'rejected' | 'unknown-target' | 'network';

/** The one error a bridge throws: how it is reported is part of it. */
export class BridgeError extends Error {
  constructor(
    readonly code: BridgeErrorCode,
    /** Shown to the Matrix sender; never contains secrets. */
    readonly userMessage: string,
    readonly retriable = false,
  ) {
    super(userMessage);
    this.name = 'BridgeError';
  }
}

// ---------------------------------------------------------------- the connector

/** Capabilities that are data rather than behaviour, merged over core defaults. */
export interface CapabilityFlags {
  /** Longest message body the network takes, in bytes (core rejects longer ones up front). */
  maxBodyBytes: number;
  formatting: boolean;
  media: boolean;
  /** Threads: Matrix thread messages carry `MatrixMessage.thread`; remote messages may set `thread`. */
  threads: boolean;
}

export const defaultCapabilities: CapabilityFlags = {
  maxBodyBytes: 65_536,
  formatting: false,
  media: false,
  threads: false,
};

export interface Connector<C = unknown> {
  /** Short id: the config key and the default ghost/alias prefix (`irc`). */
  readonly id: string;
  readonly displayName: string;
  readonly configSchema: ZodType<C>;
  readonly capabilities?: Partial<CapabilityFlags>;
  start(ctx: BridgeContext<C>): Promise<void>;
  stop(): Promise<void>;
  handleMatrixMessage(msg: MatrixMessage): Promise<SendResult>;
  /**
   * A room now stands for a remote chat: made for an alias query, or linked by a command or the
   * provisioning API (join the chat, bring the room's members up to date, say). May come more than
   * once for the same portal.
   */
  portalLinked?(portal: PortalRecord): Promise<void>;
  portalUnlinked?(portal: PortalRecord): Promise<void>;
  /** Bot commands of this bridge, run as `<id> <name> args…` in the management room. */
  commands?(): Command[];
}

export interface EditCapable {
  handleMatrixEdit(edit: MatrixEdit): Promise<void>;
}
export interface RedactionCapable {
  handleMatrixRedaction(redaction: MatrixRedaction): Promise<void>;
}
export interface ReactionCapable {
  handleMatrixReaction(reaction: MatrixReaction): Promise<SendResult>;
}
export interface TypingCapable {
  handleMatrixTyping(typing: MatrixTyping): Promise<void>;
}
export interface MembershipCapable {
  handleMatrixMembership(change: MatrixMembership): Promise<void>;
}
export interface TopicCapable {
  handleMatrixTopic(change: MatrixTopic): Promise<void>;
}
/**
 * Calls (Matrix VoIP): core hands the bridge each `m.call.*` event of a portal's room (but its
 * ghosts' own). Without this capability, an `m.call.invite` gets a "does not support calls"
 * notice and the other call events are ignored.
 */
export interface CallCapable {
  handleMatrixCall(call: MatrixCall): Promise<void>;
}
/** Dynamic portals: a room-alias query for `#<prefix><localpart>` asks the bridge (a lookup; core makes the room). */
export interface AliasResolving {
  resolveAlias(localpart: string): Promise<PortalInfo | null>;
}
/** A Matrix user invited one of this bridge's ghosts to a room (to start a direct chat, say). */
export interface GhostInvite {
  roomId: MatrixRoomId;
  inviter: MatrixUserId;
  ghost: RemoteUserId;
  /** The invite is marked `is_direct`. */
  isDirect: boolean;
}
/**
 * Invites of ghosts: the bridge answers the portal key the room is to stand for (core makes the
 * ghost join and links the room to it, replacing an earlier room of that key), or null (core
 * makes the ghost decline). Without this capability, invites of ghosts are left alone.
 */
export interface GhostInviteHandling {
  handleGhostInvite(invite: GhostInvite): Promise<PortalKey | null>;
}
/** A user query for `@<prefix><localpart>` asks the bridge whether that remote user exists. */
export interface GhostResolving {
  resolveGhost(remote: RemoteUserId): Promise<GhostProfile | null>;
}

export interface ThirdPartyProtocol {
  user_fields: string[];
  location_fields: string[];
  icon: string;
  field_types: Record<string, { regexp: string; placeholder: string }>;
  instances: { desc: string; network_id: string; fields: Record<string, string> }[];
}
export interface ThirdPartyLocation {
  alias: string;
  protocol: string;
  fields: Record<string, string>;
}
export interface ThirdPartyUser {
  userid: string;
  protocol: string;
  fields: Record<string, string>;
}
/** Third-party network lookups (`/_matrix/app/v1/thirdparty/*`). */
export interface ThirdPartyCapable {
  thirdPartyProtocol(): ThirdPartyProtocol;
  thirdPartyLocations(fields: Record<string, string>): Promise<ThirdPartyLocation[]>;
  thirdPartyUsers(fields: Record<string, string>): Promise<ThirdPartyUser[]>;
}

const has =
  <T>(method: string) =>
  (c: Connector): c is Connector & T =>
    typeof (c as unknown as Record<string, unknown>)[method] === 'function';

export const canEdit = has<EditCapable>('handleMatrixEdit');
export const canRedact = has<RedactionCapable>('handleMatrixRedaction');
export const canReact = has<ReactionCapable>('handleMatrixReaction');
export const canType = has<TypingCapable>('handleMatrixTyping');
export const canMembership = has<MembershipCapable>('handleMatrixMembership');
export const canSetTopic = has<TopicCapable>('handleMatrixTopic');
export const canCall = has<CallCapable>('handleMatrixCall');
export const resolvesAliases = has<AliasResolving>('resolveAlias');
export const resolvesGhosts = has<GhostResolving>('resolveGhost');
export const handlesGhostInvites = has<GhostInviteHandling>('handleGhostInvite');
export const hasThirdParty = has<ThirdPartyCapable>('thirdPartyProtocol');
