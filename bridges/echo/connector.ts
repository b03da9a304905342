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
  remoteUserId,
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

export const ECHO_USER = remoteUserId('echo');

/** The id the network gives a Matrix message, and the id of its echo. */
const ids = {
  sent: (eventId: string) => remoteMessageId(`m:${eventId}`),
  echoOf: (remoteId: string) => remoteMessageId(`echo:${remoteId}`),
};

const PORTAL_NAME = /^[a-z0-9.-]{1,64}$/;

/**
 * A Matrix user's direct chat with the echo user (a room they made and invited its ghost to): one
 * per user. No alias names it (a portal name has no `/` or `@`).
 */
export const directChat = (user: string) => portalKey(`dm/${user}`);
const MATRIX_USER = /^@[^:\s]+:\S+$/;

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

/** `heard()` keeps this many entries per portal, so a long-running echo bridge does not grow. */
const HEARD_KEPT = 1_000;

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
  /** Per portal: what the network heard. It lives with this object, across restarts of core, like a real network's history. */
  private readonly log = new Map<string, EchoHeard[]>();
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
    return {
      user_fields: ['user'],
      location_fields: ['key'],
      icon: '',
      field_types: {
        user: { regexp: '^echo$', placeholder: 'echo' },
        key: { regexp: PORTAL_NAME.source, placeholder: 'lobby' },
      },
      instances: [{ desc: this.displayName, network_id: this.id, fields: {} }],
    };
  }

  async thirdPartyLocations(fields: Record<string, string>): Promise<ThirdPartyLocation[]> {
    const key = fields.key;
    if (!key || !PORTAL_NAME.test(key) || !this.ctx) return [];
    return [{ alias: this.ctx.portalAlias(key), protocol: this.id, fields: { key } }];
  }

  async thirdPartyUsers(fields: Record<string, string>): Promise<ThirdPartyUser[]> {
    if (fields.user !== ECHO_USER || !this.ctx) return [];
    return [
      { userid: this.ctx.ghostUserId(ECHO_USER), protocol: this.id, fields: { user: ECHO_USER } },
    ];
  }

  /** What the network heard from Matrix in a portal, oldest first (the last 1000). A test probe. */
  heard(portal: PortalKey): readonly EchoHeard[] {
    return this.log.get(portal) ?? [];
  }

  private hear(portal: PortalKey, entry: EchoHeard): void {
    const entries = this.log.get(portal) ?? [];
    entries.push(entry);
    if (entries.length > HEARD_KEPT) entries.splice(0, entries.length - HEARD_KEPT);
    this.log.set(portal, entries);
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
