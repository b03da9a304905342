/** What core gives a bridge: `BridgeContext` and the small interfaces it is made of. */
import type { Logger } from 'pino';
import type { MatrixRoomId, MatrixUserId, PortalKey, RemoteUserId } from './ids.js';
import type { GhostProfile, PortalInfo, RemoteEvent } from './remote-events.js';

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
  /**
   * The bridge's name for this event, stored with it: core calls the connector's `emitSettled`
   * with it once the homeserver took the event or core gave it up, after a restart in between
   * too. Put in it what the bridge needs then (who sent it, the network's id of it): the bridge
   * may have forgotten everything else by then. Without it, nothing is reported.
   */
  ref?: string;
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

/** A Matrix room as the bridge bot sees it, for a gateway that shows it on the network. */
export interface MatrixRoomView {
  roomId: MatrixRoomId;
  name?: string;
  topic?: string;
  /** The room's main alias (`m.room.canonical_alias`), to name it by on the network. */
  canonicalAlias?: string;
  /** `public`, `invite`, `knock`, … as `m.room.join_rules` has it (`invite` when unset). */
  joinRule: string;
  /**
   * The level `m.room.power_levels` asks to redact another user's event (`redact`, 50 when unset):
   * a gateway lets a network user remove others' messages only when their ghost has it. Set by
   * core (optional for views made elsewhere: read it as 50 when absent).
   */
  redactLevel?: number;
  /**
   * Joined members (the bot and ghosts included) with their display names and power levels.
   * `creator`: a creator of a room of version 12 or later, who outranks every power level.
   * `bridged`: the bridge bot or a ghost of any of this appservice's bridges, not a Matrix user
   * of their own (a bridge that makes the room's people present on its network skips them).
   */
  members: {
    userId: MatrixUserId;
    displayName?: string;
    powerLevel: number;
    creator?: boolean;
    bridged?: boolean;
  }[];
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
   * The remote chat no longer has a room (unlinked from the network's side, by a user the bridge
   * checked may do so): the link goes as with the `unlink` command, and `portalUnlinked` is called.
   * The room itself stays. Resolves with the room it had, or undefined when it had none. Absent
   * where core has no such call.
   */
  unlinkPortal?(portal: PortalKey): Promise<PortalRecord | undefined>;
  /**
   * The bridge bot invites a Matrix user to the portal's room (an invite-only room they left, or
   * asked to enter); nothing when they are in it or invited already. `as`: where the bot may not
   * (a room it is not in: a direct chat a Matrix user started with the ghost), that remote user's
   * ghost invites instead; rejects (`M_FORBIDDEN`) when neither may.
   */
  invite(portal: PortalKey, userId: MatrixUserId, opts?: { as?: RemoteUserId }): Promise<void>;
  /**
   * Gateways (a network user entering a Matrix room, as an XMPP user joins a MUC): the room an
   * alias (`#room:server`) or room id names, read by the bridge bot, which joins it to read it (a
   * public room, or one the bot is invited to). Undefined when the alias does not exist; rejects
   * when the bot may not join. Link it with `ensurePortal({ key, roomId })` to get its events.
   * `as`: read (and join) it as that remote user's ghost instead, for a room that invited the
   * ghost but not the bot. Absent where core has no such lookup.
   */
  matrixRoom?(aliasOrId: string, opts?: { as?: RemoteUserId }): Promise<MatrixRoomView | undefined>;
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
