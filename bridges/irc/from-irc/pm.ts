/**
 * IRC → Matrix private messages: what an IRC user says to a Matrix user's puppet (PRIVMSG,
 * NOTICE, ACTION) goes to a private room for that pair, made on the first message with the
 * Matrix user invited as a direct chat; the IRC user's ghost speaks there. Replies in that
 * room go back to the nick (from-matrix.ts). Our own connections are never bridged.
 */
import type { MessageEvent } from 'irc-framework';
import {
  type BridgeContext,
  type MatrixUserId,
  type MessageContent,
  type PortalKey,
  type RemoteEvent,
  type RemoteUserId,
} from '../../../src/connector.js';
import type { IrcNetwork } from '../connection/client.js';
import type { IrcConnection } from '../connection/connection.js';
import { ircToContent } from '../format/format.js';
import { PmAccounts } from './pm-accounts.js';
import { refusedRef } from './refusals.js';
import { replyTargetOf } from '../format/replies.js';
import { heardMessageId, isChannelName, makePmKey, makeRemoteUser } from '../ids.js';

/** What private conversations need from the bridge: parts of BridgeContext, and core's emit. */
export type PmSink = Pick<
  BridgeContext<unknown>,
  'setGhostProfile' | 'ensurePortal' | 'renamePortal' | 'invite' | 'log'
> & { emit(event: RemoteEvent, ref?: string): Promise<void> };

export class IrcPrivateMessages {
  private chain: Promise<void> = Promise.resolve();
  /** Ghosts named in this process: nick as last seen. */
  private readonly named = new Map<string, string>();
  /** The private conversations that have a room (their portal keys). */
  private readonly rooms = new Set<string>();
  /** The account behind each conversation's nick, where the server tags it (account-tag). */
  private readonly accounts = new PmAccounts();

  constructor(
    private readonly network: IrcNetwork,
    private readonly sink: PmSink,
  ) {}

  /** Listens for private messages to this Matrix user's puppet. */
  attach(owner: MatrixUserId, puppet: IrcConnection): void {
    const on = (kind: MessageContent['kind']) => (e: MessageEvent) =>
      this.onMessage(owner, puppet, e, kind);
    puppet.client.on('privmsg', on('text'));
    puppet.client.on('notice', on('notice'));
    puppet.client.on('action', on('emote'));
    // Seen where the nick shares a channel with the puppet: the conversation follows the nick.
    puppet.client.on('nick', (e: { nick: string; new_nick: string }) =>
      this.renamed(owner, e.nick, e.new_nick),
    );
  }

  /** A private conversation has a room (one made here, or found at start or by a ghost invite). */
  hasRoom(key: PortalKey, has = true): void {
    if (has) this.rooms.add(key);
    else this.rooms.delete(key);
  }

  /**
   * The IRC user of a conversation changed nick: its room becomes the conversation with the new
   * nick (replies go there), and the old ghost makes way for the new one.
   */
  private renamed(owner: MatrixUserId, from: string, to: string): void {
    const fromKey = makePmKey(this.network.id, from, owner);
    if (from.toLowerCase() === to.toLowerCase() || !this.rooms.has(fromKey)) return;
    const toKey = makePmKey(this.network.id, to, owner);
    const before = makeRemoteUser(this.network.id, from);
    const after = makeRemoteUser(this.network.id, to);
    this.chain = this.chain
      .then(async () => {
        if (!(await this.sink.renamePortal(fromKey, toKey))) return;
        this.rooms.delete(fromKey);
        this.rooms.add(toKey);
        await this.nameGhost(after, to);
        const change = { kind: 'membership', portal: toKey } as const;
        await this.sink.emit({
          ...change,
          sender: before,
          membership: 'leave',
          reason: `now known as ${to}`,
        });
        await this.sink.emit({ ...change, sender: after, membership: 'join' });
      })
      .catch((err: unknown) =>
        this.sink.log.warn(
          { err, irc: this.network.id, from, to },
          'a private conversation did not follow a nick change',
        ),
      );
  }

  /** The ghost's display name is the nick, as last seen. */
  private async nameGhost(user: RemoteUserId, nick: string): Promise<void> {
    if (this.named.get(user) === nick) return;
    await this.sink.setGhostProfile(user, { displayName: nick });
    this.named.set(user, nick);
  }

  /** The nick behind a ghost as last seen in a PM, with its case. */
  nickOf(user: RemoteUserId): string | undefined {
    return this.named.get(user);
  }

  /** Waits until every PM heard so far is emitted (tests). */
  idle(): Promise<void> {
    return this.chain;
  }

  private onMessage(
    owner: MatrixUserId,
    puppet: IrcConnection,
    e: MessageEvent,
    kind: MessageContent['kind'],
  ): void {
    if (e.from_server || !e.nick || !e.nick.length || isChannelName(e.target)) return;
    if (!puppet.isMe(e.target) || this.network.isOurNick(e.nick)) return;
    const nick = e.nick;
    const sender = makeRemoteUser(this.network.id, nick);
    const key = makePmKey(this.network.id, nick, owner);
    const id = heardMessageId(e.tags);
    const replyTo = replyTargetOf(e.tags);
    const content = ircToContent(e.message, kind);
    const timestamp =
      typeof e.time === 'number' && Number.isFinite(e.time) ? { timestamp: e.time } : {};
    const warning = puppet.client.network.cap.enabled.includes('account-tag')
      ? this.accounts.heard(key, nick, e.tags?.account)
      : undefined;
    this.chain = this.chain
      .then(async () => {
        await this.sink.ensurePortal({
          key,
          name: nick,
          joinRule: 'invite',
          invite: [owner],
          isDirect: true,
        });
        this.rooms.add(key);
        // A user who left the room is invited back: the PM would go unseen. Where the bot is not
        // in the room (a direct chat the user started with the ghost), the ghost invites them.
        await this.sink
          .invite(key, owner, { as: sender })
          .catch((err: unknown) =>
            this.sink.log.debug({ err, irc: this.network.id, nick }, 'PM room: no invite sent'),
          );
        await this.nameGhost(sender, nick);
        if (warning)
          await this.sink.emit({
            kind: 'message',
            portal: key,
            sender,
            id: heardMessageId(undefined),
            content: { kind: 'notice', text: warning },
          });
        await this.sink.emit(
          {
            kind: 'message',
            portal: key,
            sender,
            id,
            content,
            ...(replyTo ? { replyTo } : {}),
            ...timestamp,
          },
          refusedRef(this.network.id, nick), // Matrix refusing it is told to the sender
        );
      })
      .catch((err: unknown) =>
        this.sink.log.warn(
          { err, irc: this.network.id, nick },
          'an IRC private message was not bridged',
        ),
      );
  }
}
