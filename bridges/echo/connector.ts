/**
 * The echo network: every portal has one remote user, `echo`, who repeats each
 * message, edit, deletion, reaction and typing notice back, and picks up every call. It uses the whole
 * connector API, so core's tests and the connector guide use it.
 */
import { randomUUID } from 'node:crypto';
import {
  BridgeError,
  portalKey,
  remoteMessageId,
  type BridgeContext,
  type CallCapable,
  type Command,
  type EmitOutcome,
  type Connector,
  type GhostInvite,
  type GhostInviteHandling,
  type EditCapable,
  type GhostProfile,
  type LinkOptions,
  type MatrixCall,
  type MatrixEdit,
  type MatrixMessage,
  type MatrixReaction,
  type MatrixUserId,
  type MatrixRedaction,
  type MatrixReceipt,
  type MatrixPresence,
  type MatrixTyping,
  type PortalInfo,
  type PortalKey,
  type PortalRecord,
  type ReactionCapable,
  type RedactionCapable,
  type RemoteMessageId,
  type RemoteUserId,
  type SendResult,
  type ThirdPartyLocation,
  type ThirdPartyProtocol,
  type ThirdPartyUser,
  type TypingCapable,
  type ReceiptCapable,
  type PresenceCapable,
} from '../../src/connector.js';
import { echoConfigSchema, type EchoConfig } from './config.js';
import { HeardLog, type EchoHeard } from './heard.js';
import { directChat, ECHO_USER, ids, MATRIX_USER, PORTAL_NAME } from './names.js';
import { echoLocations, echoProtocol, echoUsers } from './third-party.js';

export { directChat, ECHO_USER } from './names.js';

export class EchoConnector
  implements
    Connector<EchoConfig>,
    EditCapable,
    RedactionCapable,
    ReactionCapable,
    TypingCapable,
    ReceiptCapable,
    CallCapable,
    PresenceCapable,
    GhostInviteHandling
{
  readonly configSchema = echoConfigSchema;
  readonly capabilities = { maxBodyBytes: 16_384, formatting: true, threads: true };
  private ctx?: BridgeContext<EchoConfig>;
  private echoed = 0;
  private received = 0;
  /** What the network heard, per portal. */
  private readonly log = new HeardLog();
  /** Per Matrix user, the portals they wrote in (where the network shows their presence). */
  private readonly speakers = new Map<string, Set<PortalKey>>();

  /** A second instance with another id shows two networks linked to one room. */
  constructor(
    readonly id = 'echo',
    readonly displayName = 'Echo',
  ) {}

  async start(ctx: BridgeContext<EchoConfig>): Promise<void> {
    this.ctx = ctx;
    // Capabilities the config turns off are left out, as a network that lacks them would.
    const { features } = ctx.config;
    const drop = (method: string) =>
      Object.defineProperty(this, method, { value: undefined, configurable: true });
    if (!features.edits) drop('handleMatrixEdit');
    if (!features.redactions) drop('handleMatrixRedaction');
    if (!features.reactions) drop('handleMatrixReaction');
    if (!features.typing) drop('handleMatrixTyping');
    if (!features.calls) drop('handleMatrixCall');
    if (!features.receipts) drop('handleMatrixReceipt');
    if (!features.presence) drop('handleMatrixPresence');
    await ctx.setGhostProfile(ECHO_USER, { displayName: this.displayName });
  }

  async stop(): Promise<void> {
    this.ctx = undefined;
  }

  private get context(): BridgeContext<EchoConfig> {
    if (!this.ctx) throw new BridgeError('not-connected', 'the echo network is not running', true);
    return this.ctx;
  }

  async handleMatrixMessage(msg: MatrixMessage): Promise<SendResult> {
    const { config } = this.context;
    if (config.reject_text && msg.content.text.includes(config.reject_text)) {
      throw new BridgeError('rejected', 'the echo network refused this message');
    }
    if (config.delay_ms) await new Promise((r) => setTimeout(r, config.delay_ms));
    const remoteId = ids.sent(msg.eventId);
    this.received++;
    const spoke = this.speakers.get(msg.sender.userId) ?? new Set<PortalKey>();
    this.speakers.set(msg.sender.userId, spoke.add(msg.portal));
    this.hear(msg.portal, {
      kind: 'message',
      id: remoteId,
      text: msg.content.text,
      ...(msg.replyTo ? { target: msg.replyTo } : {}),
      ...(msg.thread ? { thread: msg.thread } : {}),
      ...(msg.sender.avatarUrl ? { avatar: msg.sender.avatarUrl } : {}),
    });
    // Another network's ghost is heard but not answered: two echo networks in one room would never stop.
    if (msg.sender.viaBridge) return { remoteId };
    const echo = ids.echoOf(remoteId);
    await this.context.emit(
      {
        kind: 'message',
        portal: msg.portal,
        sender: ECHO_USER,
        id: echo,
        content: msg.content,
        replyTo: remoteId,
        // A message in a thread is echoed in the same thread (its root's id maps to the root's event).
        ...(msg.thread ? { thread: msg.thread } : {}),
      },
      { ref: bounceRef(msg.portal, echo) },
    );
    this.echoed++;
    return { remoteId };
  }

  async handleMatrixEdit(edit: MatrixEdit): Promise<void> {
    this.hear(edit.portal, { kind: 'edit', text: edit.content.text, target: edit.target });
    await this.context.emit({
      kind: 'edit',
      portal: edit.portal,
      sender: ECHO_USER,
      target: ids.echoOf(edit.target),
      content: edit.content,
    });
  }

  async handleMatrixRedaction(redaction: MatrixRedaction): Promise<void> {
    this.hear(redaction.portal, { kind: 'delete', target: redaction.target });
    await this.context.emit({
      kind: 'delete',
      portal: redaction.portal,
      sender: ECHO_USER,
      target: ids.echoOf(redaction.target),
    });
  }

  async handleMatrixReaction(reaction: MatrixReaction): Promise<SendResult> {
    const remoteId = ids.sent(reaction.eventId);
    this.hear(reaction.portal, {
      kind: 'reaction',
      id: remoteId,
      text: reaction.key,
      target: reaction.target,
    });
    await this.context.emit({
      kind: 'reaction',
      portal: reaction.portal,
      sender: ECHO_USER,
      id: ids.echoOf(remoteId),
      target: ids.echoOf(reaction.target),
      key: reaction.key,
    });
    return { remoteId };
  }

  async handleMatrixTyping(typing: MatrixTyping): Promise<void> {
    await this.context.emit({
      kind: 'typing',
      portal: typing.portal,
      sender: ECHO_USER,
      typing: typing.typing,
    });
  }

  /** The network shows a Matrix user's presence in the chats they wrote in. */
  async handleMatrixPresence(p: MatrixPresence): Promise<void> {
    for (const portal of this.speakers.get(p.userId) ?? [])
      this.hear(portal, { kind: 'presence', text: p.presence });
  }

  /** The network hears who read up to which of its messages (the newest per user; no echo back). */
  async handleMatrixReceipt(receipt: MatrixReceipt): Promise<void> {
    this.hear(receipt.portal, { kind: 'receipt', target: receipt.target });
  }

  /**
   * The echo user picks up every call at once, answering with the caller's own offer (an echo, not
   * a media stack: no sound flows), and hears the rest of the call's events.
   */
  async handleMatrixCall(call: MatrixCall): Promise<void> {
    this.hear(call.portal, { kind: 'call', id: remoteMessageId(call.callId), text: call.action });
    if (call.action !== 'invite' || call.sender.viaBridge) return;
    await this.context.emit({
      kind: 'call',
      portal: call.portal,
      sender: ECHO_USER,
      action: 'answer',
      callId: call.callId,
      ...(call.sdp !== undefined ? { sdp: call.sdp } : {}),
    });
  }

  /** A link may give a `greeting`: the echo user's first words in the chat. */
  readonly linkOptions = ['greeting'];

  /** A room is linked only to a chat name an alias could have too (with a one-line greeting). */
  validateLink(remoteId: PortalKey, options: LinkOptions): string | undefined {
    if (!PORTAL_NAME.test(remoteId))
      return 'an echo chat is named by 1 to 64 of a-z, 0-9, "." and "-"';
    if (options.greeting !== undefined && !/^[^\n\r]{1,200}$/.test(options.greeting))
      return 'the option "greeting" must be one line of 1 to 200 characters';
    return undefined;
  }

  /** A link's greeting is said as `echo say` would say it (the portal's key is its name). */
  async portalLinked(portal: PortalRecord, options?: LinkOptions): Promise<void> {
    if (options?.greeting !== undefined) await this.say(portal.key, options.greeting);
  }

  /** A Matrix user who invites the echo ghost to a direct chat starts their chat with the echo user. */
  async handleGhostInvite(invite: GhostInvite): Promise<PortalKey | null> {
    return invite.ghost === ECHO_USER && invite.isDirect ? directChat(invite.inviter) : null;
  }

  /** Any alias `#<prefix><name>` is a portal; core makes its room on first use. */
  async resolveAlias(localpart: string): Promise<PortalInfo | null> {
    if (!PORTAL_NAME.test(localpart)) return null;
    return {
      key: portalKey(localpart),
      name: `Echo ${localpart}`,
      topic: 'Everything said here is said back.',
    };
  }

  async resolveGhost(remote: RemoteUserId): Promise<GhostProfile | null> {
    return remote === ECHO_USER ? { displayName: this.displayName } : null;
  }

  thirdPartyProtocol(): ThirdPartyProtocol {
    return echoProtocol(this);
  }

  async thirdPartyLocations(fields: Record<string, string>): Promise<ThirdPartyLocation[]> {
    return this.ctx ? echoLocations(this, this.ctx, fields) : [];
  }

  async thirdPartyUsers(fields: Record<string, string>): Promise<ThirdPartyUser[]> {
    return this.ctx ? echoUsers(this, this.ctx, fields) : [];
  }

  /** What the network heard from Matrix in a portal, oldest first (the last 1000). A test probe. */
  heard(portal: PortalKey): readonly EchoHeard[] {
    return this.log.of(portal);
  }

  private hear(portal: PortalKey, entry: EchoHeard): void {
    this.log.add(portal, entry);
  }

  /**
   * A portal room only `user` is invited to (Synapse refuses call invites in public rooms): made
   * for portal `name` if it has none. A test probe, like `say`.
   */
  async openPrivate(name: string, user: string): Promise<string> {
    const info = await this.resolveAlias(name);
    if (!info) throw new BridgeError('unknown-target', `\`${name}\` is not an echo portal name`);
    const { roomId } = await this.context.ensurePortal({
      ...info,
      joinRule: 'invite',
      invite: [user as MatrixUserId],
    });
    return roomId;
  }

  /**
   * A space (key `space:<space>`, no alias can name it) with portal `name`'s room in it, both
   * made when missing: how a network with groups of chats (a Discord guild) uses `space` and
   * `parent`. A test probe, like `say`.
   */
  async openInSpace(space: string, name: string): Promise<{ spaceId: string; roomId: string }> {
    const info = await this.resolveAlias(name);
    if (!info || !PORTAL_NAME.test(space))
      throw new BridgeError(
        'unknown-target',
        `\`${name}\` or \`${space}\` is not an echo portal name`,
      );
    const key = portalKey(`space:${space}`);
    const { roomId: spaceId } = await this.context.ensurePortal({ key, name: space, space: true });
    const { roomId } = await this.context.ensurePortal({ ...info, parent: key });
    return { spaceId, roomId };
  }

  /**
   * The echo user speaks first: `text` in portal `name` (its room is made if there is none yet),
   * or, where `name` is a Matrix user id, in that user's direct chat with it. The bot is not in a
   * direct chat (the user made it): if they left it, the echo ghost invites them back first.
   */
  async say(name: string, text: string): Promise<{ id: RemoteMessageId; roomId: string }> {
    const { key, roomId } = MATRIX_USER.test(name)
      ? await this.directChatBack(name as MatrixUserId)
      : await this.portalNamed(name);
    // Unique across restarts: core drops a message whose remote id it has already bridged.
    const id = remoteMessageId(`said:${randomUUID()}`);
    await this.context.emit(
      { kind: 'message', portal: key, sender: ECHO_USER, id, content: { kind: 'text', text } },
      { ref: bounceRef(key, id) },
    );
    return { id, roomId };
  }

  private async portalNamed(name: string): Promise<{ key: PortalKey; roomId: string }> {
    const info = await this.resolveAlias(name);
    if (!info)
      throw new BridgeError(
        'unknown-target',
        `\`${name}\` is not an echo portal name (1 to 64 of a-z 0-9 . -) or a Matrix user id`,
      );
    const { roomId } = await this.context.ensurePortal(info);
    return { key: info.key, roomId };
  }

  /** `user`'s direct chat with the echo user, them invited back (by the ghost) if they left it. */
  private async directChatBack(user: MatrixUserId): Promise<{ key: PortalKey; roomId: string }> {
    const key = directChat(user);
    const portal = (await this.context.portals()).find((p) => p.key === key);
    if (!portal)
      throw new BridgeError(
        'unknown-target',
        `${user} has no direct chat with the echo user: they start one by inviting its ghost`,
      );
    await this.context.invite(key, user, { as: ECHO_USER });
    return { key, roomId: portal.roomId };
  }

  /**
   * A message of the echo user that Matrix gave up on is bounced back to them (the network hears
   * it), as a network tells a sender their message did not arrive. The ref says which message.
   */
  emitSettled(ref: string, outcome: EmitOutcome): void {
    if (outcome.delivered) return;
    const { portal, id } = JSON.parse(ref) as { portal: PortalKey; id: RemoteMessageId };
    this.hear(portal, { kind: 'bounce', target: id, text: outcome.reason });
  }

  commands(): Command[] {
    return [
      {
        name: 'stats',
        help: 'how many messages were echoed since start',
        run: (ctx) => ctx.reply(`Heard ${messages(this.received)}, echoed ${this.echoed}.`),
      },
      {
        name: 'say',
        usage: 'say <portal | @user:server> <text>',
        help: "the echo user says something first in a portal, or in a user's direct chat with it (admins)",
        requiresAdmin: true,
        run: async (ctx) => {
          const [name, ...words] = ctx.args;
          if (!name || words.length === 0) return ctx.reply('Usage: `echo say <portal> <text>`');
          const { roomId } = await this.say(name, words.join(' '));
          await ctx.reply(`Echo said it in ${roomId}.`);
        },
      },
    ];
  }
}

/** What `emitSettled` needs to bounce a message: its portal and id (nothing else survives a restart). */
const bounceRef = (portal: PortalKey, id: RemoteMessageId) => JSON.stringify({ portal, id });

const messages = (n: number) => `${n} message${n === 1 ? '' : 's'}`;
