// One portal as the kit sees it from both sides: the Matrix user acting in the room (through real
// Synapse) and the network probe saying what the remote chat got.
import { asUser, roomEvents, type RoomEvent } from '../support/bridge-harness.js';
import { requireSynapse, waitFor, type TestUser } from '../support/synapse.js';
import type { NetworkMessage, NetworkProbe } from './types.js';

type Relation = { rel_type?: string; event_id?: string; 'm.in_reply_to'?: { event_id?: string } };
export const relation = (e: RoomEvent) => e.content['m.relates_to'] as Relation | undefined;

/** Enough history for the longest test (a burst, its echoes on chatty networks, the room's state). */
const HISTORY = 500;
let txnCounter = 0;

export class PortalView {
  constructor(
    readonly roomId: string,
    readonly user: TestUser,
    private readonly network: NetworkProbe,
    /** The bridge bot, who posts failure notices. */
    private readonly botUserId: string,
    readonly patienceMs: number,
  ) {}

  // ------------------------------------------------------------ the Matrix user acts

  async send(content: Record<string, unknown>, type = 'm.room.message'): Promise<string> {
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(this.roomId)}/send/${type}/conf.${Date.now()}.${++txnCounter}`;
    return (await asUser<{ event_id: string }>(this.user, 'PUT', path, content)).event_id;
  }

  text(body: string): Promise<string> {
    return this.send({ msgtype: 'm.text', body });
  }

  reply(to: string, body: string): Promise<string> {
    return this.send({
      msgtype: 'm.text',
      body,
      'm.relates_to': { 'm.in_reply_to': { event_id: to } },
    });
  }

  /** A message in the thread whose root is `root` (with the reply fallback clients send). */
  inThread(root: string, body: string): Promise<string> {
    return this.send({
      msgtype: 'm.text',
      body,
      'm.relates_to': {
        rel_type: 'm.thread',
        event_id: root,
        is_falling_back: true,
        'm.in_reply_to': { event_id: root },
      },
    });
  }

  edit(original: string, body: string): Promise<string> {
    return this.send({
      msgtype: 'm.text',
      body: `* ${body}`,
      'm.new_content': { msgtype: 'm.text', body },
      'm.relates_to': { rel_type: 'm.replace', event_id: original },
    });
  }

  react(to: string, key: string): Promise<string> {
    return this.send(
      { 'm.relates_to': { rel_type: 'm.annotation', event_id: to, key } },
      'm.reaction',
    );
  }

  /** A public read receipt (`m.read`) on `eventId`. */
  async read(eventId: string): Promise<void> {
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(this.roomId)}/receipt/m.read/${encodeURIComponent(eventId)}`;
    await asUser(this.user, 'POST', path, {});
  }

  async redact(eventId: string): Promise<string> {
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(this.roomId)}/redact/${encodeURIComponent(eventId)}/conf.${Date.now()}.${++txnCounter}`;
    return (await asUser<{ event_id: string }>(this.user, 'PUT', path, {})).event_id;
  }

  /** Sets the user's presence (the homeserver sends it to the appservice as `m.presence`). */
  async setPresence(presence: 'online' | 'unavailable' | 'offline'): Promise<void> {
    const path = `/_matrix/client/v3/presence/${encodeURIComponent(this.user.userId)}/status`;
    await asUser(this.user, 'PUT', path, { presence });
  }

  /** Uploads a picture and makes it the user's avatar in this room (their member event); its mxc. */
  async setAvatar(data: Uint8Array, contentType: string): Promise<string> {
    const { hsUrl } = requireSynapse();
    const res = await fetch(`${hsUrl}/_matrix/media/v3/upload?filename=avatar`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.user.accessToken}`, 'content-type': contentType },
      body: new Uint8Array(data),
    });
    if (!res.ok) throw new Error(`upload ${res.status}: ${await res.text()}`);
    const mxc = ((await res.json()) as { content_uri: string }).content_uri;
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(this.roomId)}/state/m.room.member/${encodeURIComponent(this.user.userId)}`;
    const member = await asUser<Record<string, unknown>>(this.user, 'GET', path);
    await asUser(this.user, 'PUT', path, { ...member, avatar_url: mxc });
    return mxc;
  }

  // ------------------------------------------------------------ what the Matrix user sees

  events(): Promise<RoomEvent[]> {
    return roomEvents(this.user, this.roomId, HISTORY);
  }

  /** The bot's failure notices answering `eventIds` (core posts one per event it could not deliver). */
  async failureNotices(eventIds: string[]): Promise<RoomEvent[]> {
    const ids = new Set(eventIds);
    return (await this.events()).filter(
      (e) =>
        e.sender === this.botUserId &&
        e.content.msgtype === 'm.notice' &&
        ids.has(relation(e)?.['m.in_reply_to']?.event_id ?? ''),
    );
  }

  async noticeFor(eventId: string, what: string): Promise<RoomEvent> {
    return this.until(
      async () => (await this.failureNotices([eventId]))[0],
      `the failure notice for ${what}`,
    );
  }

  // ------------------------------------------------------------ what the network got

  received(): Promise<NetworkMessage[]> {
    return this.network.received(this.roomId);
  }

  onNetwork(predicate: (m: NetworkMessage) => boolean, what: string): Promise<NetworkMessage> {
    return this.until(async () => (await this.received()).find(predicate), what);
  }

  /** The network's message whose text contains `text` (networks may decorate it). */
  messageOnNetwork(text: string): Promise<NetworkMessage> {
    return this.onNetwork(
      (m) => m.kind === 'message' && !!m.text?.includes(text),
      `"${text}" on the network`,
    );
  }

  /**
   * Sends a marker and waits for it on the network. Core handles a room's events one at a time, in
   * order, so whatever was sent before it has been handled (delivered, refused or dropped) by then.
   */
  async settle(): Promise<void> {
    const marker = `settle ${Date.now()}.${++txnCounter}`;
    await this.text(marker);
    await this.messageOnNetwork(marker);
  }

  until<T>(
    predicate: () => Promise<T>,
    what: string,
    patienceMs = this.patienceMs,
  ): Promise<NonNullable<T>> {
    return waitFor(predicate, patienceMs, what, 100);
  }
}

/** Which of `texts` each network message contains, in the network's order (texts are unique and of equal length). */
export function matchTexts(received: NetworkMessage[], texts: string[]): string[] {
  return received
    .filter((m) => m.kind === 'message')
    .flatMap((m) => texts.filter((t) => m.text?.includes(t)));
}

/** `count` unique texts of equal length: `<label> <tag> #00`, `#01`, … (none contains another). */
export function burstTexts(label: string, tag: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${label} ${tag} #${String(i).padStart(2, '0')}`);
}
