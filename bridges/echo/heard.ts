/** What the echo network heard from Matrix, per portal: a probe for tests, not connector API. */
import type { PortalKey, RemoteMessageId } from '../../src/connector.js';

/**
 * One thing the echo network heard from Matrix, as the network sees it. `heard()` lists them:
 * a probe for tests (the connector conformance kit reads it), not part of the connector API.
 */
export interface EchoHeard {
  /**
   * `presence`: a Matrix user who spoke in the chat is now `text` (online, unavailable, offline).
   * `bounce`: Matrix refused the echo user's message `target` for good; `text` is what they were told.
   */
  kind: 'message' | 'edit' | 'delete' | 'reaction' | 'call' | 'receipt' | 'presence' | 'bounce';
  /** The id the network gave it (messages and reactions); a call's call id. */
  id?: RemoteMessageId;
  /** A message's or edit's text; a reaction's key; a call event's action (`invite`, `hangup`). */
  text?: string;
  /** What it acts on: the edited, deleted or reacted-to message, the message a reply answers, or the last message read. */
  target?: RemoteMessageId;
  /** The root of the thread a message is in. */
  thread?: RemoteMessageId;
  /** The sender's avatar (`sender.avatarUrl`), shown beside a message. */
  avatar?: string;
}

/** Entries kept per portal, so a long-running echo bridge does not grow. */
const HEARD_KEPT = 1_000;

/** Per portal, oldest first. It lives with the connector, across restarts of core, like a real network's history. */
export class HeardLog {
  private readonly entries = new Map<string, EchoHeard[]>();

  of(portal: PortalKey): readonly EchoHeard[] {
    return this.entries.get(portal) ?? [];
  }

  add(portal: PortalKey, entry: EchoHeard): void {
    const entries = this.entries.get(portal) ?? [];
    entries.push(entry);
    if (entries.length > HEARD_KEPT) entries.splice(0, entries.length - HEARD_KEPT);
    this.entries.set(portal, entries);
  }
}
