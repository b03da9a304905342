/** The connector itself, its capabilities (data and opt-in interfaces) and their type guards. */
import type { ZodType } from 'zod';
import type { MatrixRoomId, MatrixUserId, PortalKey, RemoteUserId } from './ids.js';
import type {
  MatrixCall,
  MatrixEdit,
  MatrixMembership,
  MatrixMessage,
  MatrixPowerLevels,
  MatrixReaction,
  MatrixRedaction,
  MatrixTopic,
  MatrixPins,
  MatrixPresence,
  MatrixReceipt,
  MatrixTyping,
  SendResult,
} from './matrix-events.js';
import type { GhostProfile, PortalInfo } from './remote-events.js';
import type { BridgeContext, PortalRecord } from './context.js';
import type { Command } from './commands.js';
import type { EmitOutcome } from './emit-outcome.js';

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

/**
 * Settings a link carries for the bridge, by name (the provisioning API's `options`: a MUC's
 * password, say). They may be secrets: core never logs them nor lists them back.
 */
export type LinkOptions = Readonly<Record<string, string>>;

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
   * once for the same portal. `options` come with a link (by command or the provisioning API),
   * checked by `validateLink` before: store what the bridge needs of them.
   */
  portalLinked?(portal: PortalRecord, options?: LinkOptions): Promise<void>;
  portalUnlinked?(portal: PortalRecord): Promise<void>;
  /**
   * What became of an event emitted with a `ref`: delivered to Matrix, or given up (the homeserver
   * refused it for good), to tell the network user who sent it. Called in the room's delivery
   * order, after that event's delivery; at least once (a crash right after the delivery may call
   * it again after the restart, with the same outcome). Core does not wait for it.
   */
  emitSettled?(ref: string, outcome: EmitOutcome): Promise<void> | void;
  /**
   * Asked before a room is linked to `remoteId` by the `link` command or the provisioning API:
   * the reason the bridge cannot serve that remote chat (a malformed id, a mailbox it does not
   * have, a bad option value), shown to whoever asked; undefined when it can. A refused link is
   * never recorded. `options` are the link's (`{}` without any), of the names in `linkOptions`
   * only: core refuses others before asking.
   */
  validateLink?(
    remoteId: PortalKey,
    options: LinkOptions,
  ): Promise<string | undefined> | string | undefined;
  /** The names of the `LinkOptions` a link to this bridge may carry (none when absent). */
  readonly linkOptions?: readonly string[];
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
/** Read receipts (`m.receipt`, `m.read`) of Matrix users on events bridged to the network. */
export interface ReceiptCapable {
  handleMatrixReceipt(receipt: MatrixReceipt): Promise<void>;
}
/**
 * Matrix users' presence (online, away, offline and a status text), to show on the network.
 * Best effort: core hands each `m.presence` the homeserver sends, in order per user; a failure is
 * logged and dropped.
 */
export interface PresenceCapable {
  handleMatrixPresence(presence: MatrixPresence): Promise<void>;
}
export interface MembershipCapable {
  handleMatrixMembership(change: MatrixMembership): Promise<void>;
}
export interface TopicCapable {
  handleMatrixTopic(change: MatrixTopic): Promise<void>;
}
/** Pins: a Matrix user pinned or unpinned bridged messages in a portal's room. */
export interface PinsCapable {
  handleMatrixPins(change: MatrixPins): Promise<void>;
}
/**
 * Power levels: a Matrix user changed users' levels in a portal's room (to make them operators or
 * moderators on the network, say). Changes the bridge bot made (for ghosts) are not handed back.
 */
export interface PowerLevelsCapable {
  handleMatrixPowerLevels(change: MatrixPowerLevels): Promise<void>;
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
export const canReceipt = has<ReceiptCapable>('handleMatrixReceipt');
export const canMembership = has<MembershipCapable>('handleMatrixMembership');
export const canPresence = has<PresenceCapable>('handleMatrixPresence');
export const canSetTopic = has<TopicCapable>('handleMatrixTopic');
export const canPin = has<PinsCapable>('handleMatrixPins');
export const canCall = has<CallCapable>('handleMatrixCall');
export const canSetPowerLevels = has<PowerLevelsCapable>('handleMatrixPowerLevels');
export const resolvesAliases = has<AliasResolving>('resolveAlias');
export const resolvesGhosts = has<GhostResolving>('resolveGhost');
export const handlesGhostInvites = has<GhostInviteHandling>('handleGhostInvite');
export const hasThirdParty = has<ThirdPartyCapable>('thirdPartyProtocol');
