// The public types of the connector conformance kit: what a bridge hands `runConnectorConformance`.
import type { LinkOptions } from '../../src/connector.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import type { TestUser } from '../support/synapse.js';

/** Every test of the kit, in the order they run. A skip names tests from this list only. */
export const CONFORMANCE_TESTS = [
  'matrix-to-network-order',
  'network-to-matrix-order',
  'replies',
  'threads',
  'edits',
  'reactions',
  'redactions',
  'refused-message',
  'restart-mid-burst',
  'calls',
  'sender-avatar',
  'link-refused',
  'link-option-refused',
  'read-receipts',
  'presence',
  'matrix-refused',
  'direct-chat-rejoin',
] as const;

/** A test of the kit; a misspelt name in `skip` fails to compile. */
export type ConformanceTestName = (typeof CONFORMANCE_TESTS)[number];

/** One thing the remote chat got from Matrix, as the network sees it. */
export interface NetworkMessage {
  /**
   * `receipt`: a Matrix user read up to `target` (a read marker on the network). `presence`: the
   * Matrix user who wrote in the chat is now `text` (`online`, `unavailable`, `offline`).
   * `bounce`: the remote sender was told Matrix refused their message (`text`: what they were told).
   */
  kind: 'message' | 'edit' | 'delete' | 'reaction' | 'call' | 'receipt' | 'presence' | 'bounce';
  /** The id the network gave it (messages, reactions): what edits, deletes and reactions point at; a call's Matrix call id. */
  id?: string;
  /** A message's or edit's text as the network shows it (it may add to it, e.g. a sender prefix); a reaction's key; a call event's action (`invite`, `hangup`). */
  text?: string;
  /** What it acts on: the edited, deleted or reacted-to message, or the message a reply answers. */
  target?: string;
  /** The first message (root) of the thread it belongs to, on a network with threads. */
  thread?: string;
  /** The picture the network shows beside a message (a URL, say), on a network that shows one. */
  avatar?: string;
}

/** The test's own window on the remote network, beside the bridge (a client of the real server). */
export interface NetworkProbe {
  /** What the remote chat of the portal in `roomId` got from Matrix so far, oldest first. */
  received(roomId: string): Promise<NetworkMessage[]>;
  /** A remote user says `text` in the chat of the portal in `roomId`. Without it, skip 'network-to-matrix-order'. */
  say?(roomId: string, text: string): Promise<void>;
}

/** What the connector claims to carry from Matrix to the network; each claim is tested, and so is each non-claim. */
export interface ConformanceCapabilities {
  edits: boolean;
  redactions: boolean;
  reactions: boolean;
  /** The network shows a reply as pointing at the message it answers. */
  replies: boolean;
  /** A Matrix thread is a thread on the network (`thread` names its root); default false. */
  threads?: boolean;
  /** Matrix calls (`m.call.*`) reach the network (CallCapable); absent: false. */
  calls?: boolean;
  /**
   * The network shows the Matrix sender's avatar beside their messages (from `sender.avatarUrl`),
   * and the probe reports it as `avatar`; absent: false (the test is then left out).
   */
  avatars?: boolean;
  /**
   * Matrix read receipts reach the network (ReceiptCapable) as `receipt`s pointing at the message
   * read, which the probe reports; absent: false (the network must then get none).
   */
  receipts?: boolean;
  /**
   * Matrix users' presence (`m.presence`) reaches the network (PresenceCapable), which the probe
   * reports as `presence` in the chats the user wrote in; absent: false (the test is left out).
   */
  presence?: boolean;
  /**
   * A remote message Matrix refuses for good is bounced to its sender on the network, which the
   * probe reports as a `bounce` (the connector's `emitSettled`); absent: false (the test is left out).
   */
  bounces?: boolean;
}

export interface ConformanceSkip {
  tests: ConformanceTestName[];
  /** Why: shown in the test's title. Required and non-empty. */
  reason: string;
}

export interface ConformanceTarget {
  /** Names the suite (`connector conformance: <name>`). */
  name: string;
  /**
   * Starts Switchboard with the connector under test. Called again on the same database after
   * `stop()` (the restart test): the network (and the probe's view of it) must outlive the bridge.
   */
  start(opts: { database: string }): Promise<Switchboard>;
  /** A new portal room that `user` has joined (e.g. by joining an alias in the bridge's namespace). */
  openPortal(user: TestUser): Promise<string>;
  /**
   * A new portal room that `user` has joined and that is not public (Synapse refuses call invites
   * in public rooms): a DM with a ghost, say. Without it, skip 'calls'.
   */
  openCallPortal?(user: TestUser): Promise<string>;
  /**
   * A direct chat `user` started with a remote user's ghost (`startDirectChat` from the kit: a
   * room they made, the ghost invited with `is_direct`, so the bot is not in it), the ghost joined;
   * the probe's `received` and `say` take its room. Without it (a network without direct chats),
   * skip 'direct-chat-rejoin'.
   */
  openDirectChat?(user: TestUser): Promise<string>;
  network: NetworkProbe;
  capabilities: ConformanceCapabilities;
  /** Text that makes the network refuse a message that contains it. Without it, skip 'refused-message'. */
  refuse?: string;
  skip: ConformanceSkip[];
  /**
   * A remote id the bridge (`bridge`, its id) cannot serve: its `validateLink` must refuse it with
   * a reason (core then refuses the link before recording it). Absent: the test is left out.
   */
  unservableLink?: { bridge: string; remoteId: string };
  /**
   * A link option the bridge takes (`Connector.linkOptions`) with a value it cannot use, for a
   * remote id it can link: its `validateLink` must refuse it with a reason naming the option.
   * Absent: the test is left out.
   */
  refusedLinkOption?: { bridge: string; remoteId: string; refused: LinkOptions };
  /** How long to wait for one thing to show up on either side (default 20 000 ms). */
  patienceMs?: number;
}
