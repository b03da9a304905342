/**
 * The XMPP connector: one XEP-0114 component connection for every Matrix user. Portals are
 * one-to-one chats (dm.ts) and MUCs (muc.ts); see README.md and ids.ts for the addresses.
 */
import type { Element } from '@xmpp/xml';
import {
  BridgeError,
  type AliasResolving,
  type BridgeContext,
  type Command,
  type Connector,
  type EditCapable,
  type GhostInvite,
  type GhostInviteHandling,
  type LinkOptions,
  type MatrixEdit,
  type MatrixMembership,
  type MatrixMessage,
  type MatrixReaction,
  type MatrixRedaction,
  type MatrixTopic,
  type MatrixPowerLevels,
  type PowerLevelsCapable,
  type MatrixReceipt,
  type MatrixTyping,
  type MembershipCapable,
  type PortalInfo,
  type PortalKey,
  type PortalRecord,
  type ReactionCapable,
  type RedactionCapable,
  type EmitOutcome,
  type SendResult,
  type TopicCapable,
  type TypingCapable,
  type ReceiptCapable,
  type MatrixPresence,
  type PresenceCapable,
} from '../../src/connector.js';
import { linkRefusal, mucRefusal, xmppConfigSchema, type XmppConfig } from './config.js';
import { xmppCommands } from './commands/commands.js';
import { ComponentLink } from './connection/connection.js';
import { linkMetrics } from './connection/metrics.js';
import { xmppDeps } from './deps.js';
import { DirectChats } from './dm/dm.js';
import * as fromMatrix from './messages/from-matrix.js';
import {
  aliasLocalpart,
  dmPortal,
  matrixUserJid,
  mucPortal,
  mucPrivatePortal,
  parseAliasLocalpart,
  parsePortal,
} from './ids.js';
import { Mucs } from './muc/muc.js';
import { linkConfiguredRooms, mucLinked } from './muc-links/configured-rooms.js';
import { missingRoomRefusal } from './muc-links/room-exists.js';
import { restorePortal, unlinkPortal, type Parts } from './portal-kinds.js';
import { ghostInvitePortal } from './ghost-invites.js';
import { fromMatrixDeps } from './routing.js';
import { ReactionSets } from './messages/reactions.js';
import { answerQueries } from './queries.js';
import { Gateway } from './gateway/gateway.js';
import { bounce, isBounceRef, OutcomeWaits, parseRef } from './messages/outcomes.js';
import { cloneStanza, parseMessage } from './connection/stanzas.js';
import { GhostAvatars } from './avatars/ghost-avatars.js';
import { AccountPresence } from './avatars/account-presence.js';
import { MatrixProfiles } from './avatars/matrix-vcards.js';
import { VCARD } from './avatars/vcard.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());

export class XmppConnector
  implements
    Connector<XmppConfig>,
    AliasResolving,
    GhostInviteHandling,
    EditCapable,
    RedactionCapable,
    ReactionCapable,
    TypingCapable,
    ReceiptCapable,
    MembershipCapable,
    TopicCapable,
    PowerLevelsCapable,
    PresenceCapable
{
  readonly id = 'xmpp';
  readonly displayName = 'XMPP';
  readonly configSchema = xmppConfigSchema;
  /** Prosody's default stanza limit for components is 10 MB; clients choke far earlier. */
  readonly capabilities = { maxBodyBytes: 32_768, formatting: true };
  private ctx?: BridgeContext<XmppConfig>;
  private link?: ComponentLink;
  private dms?: DirectChats;
  private mucs?: Mucs;
  private reactions?: ReactionSets;
  private gateway?: Gateway;
  private profiles?: MatrixProfiles;
  private waits?: OutcomeWaits;

  async start(ctx: BridgeContext<XmppConfig>): Promise<void> {
    this.ctx = ctx;
    const { config } = ctx;
    const link = new ComponentLink({
      host: config.host,
      port: config.port,
      domain: config.domain,
      secret: config.secret,
      minDelayMs: config.reconnect.min_ms,
      maxDelayMs: config.reconnect.max_ms,
      maxQueued: config.max_queued,
      log: ctx.log,
      // A MUC's copies of each message for our occupants other than the reader: left out before
      // the XML parser, on their addresses alone (most of what a busy room sends).
      dropMessage: (a) => a.type === 'groupchat' && !!this.mucs?.isOtherCopy(a.from, a.to),
    });
    this.link = link;
    const deps = xmppDeps(ctx, link);
    this.waits = deps.waits;
    deps.avatars = new GhostAvatars(deps);
    deps.accounts = new AccountPresence(deps);
    const profiles = (deps.profiles = new MatrixProfiles(ctx));
    this.profiles = profiles;
    profiles.onPhotoChange = (userId) => {
      this.mucs?.presenceChanged(userId, false);
      this.dms?.subscriptions.changed(userId);
    };
    link.answer(VCARD, 'vCard', (iq) => profiles.answer(iq));
    this.reactions = new ReactionSets(ctx.kv);
    this.dms = new DirectChats(deps, this.reactions);
    const mucs = (this.mucs = new Mucs(deps, this.reactions, this.dms));
    const gateway = new Gateway(deps, this.reactions);
    this.gateway = gateway;
    gateway.privateToMatrix = (el, userId) => {
      // A private message to a Matrix member in a gateway room: a chat to their address.
      const own = matrixUserJid(userId, config.domain);
      if (!own) return;
      const copy = cloneStanza(el);
      copy.attrs.to = own;
      copy.attrs.type = 'chat';
      this.dms?.onMessage(copy, parseMessage(copy));
    };
    link.onStanza = (el) => this.onStanza(el);
    answerQueries(link, gateway, config.domain);
    link.onOnline = () => {
      this.mucs?.rejoinAll();
      this.dms?.subscriptions.announce();
    };
    linkMetrics(ctx.metrics, link);
    // Restored: their occupants are in the store (a room's people join again from there).
    for (const portal of await ctx.portals()) await this.restore(portal);
    await linkConfiguredRooms(ctx, mucs, (p) => this.restore(p));
    link.start();
  }

  async stop(): Promise<void> {
    // Occupants are not made to leave: after a restart they join again with the same nicks.
    await this.mucs?.stop();
    // Contacts see their Matrix contacts unavailable while the bridge is away (2 s at most).
    if (this.link?.state === 'online')
      await Promise.race([this.dms?.subscriptions.goodbye(), sleep(2_000)]);
    await this.link?.stop();
    this.link = undefined;
    this.ctx = undefined;
  }

  /**
   * Matrix took, or gave up on, an event the bridge named: an XMPP user's message it refused
   * bounces to them (a gateway room reflects one it took); a gateway moderation is answered now.
   */
  async emitSettled(ref: string, outcome: EmitOutcome): Promise<void> {
    if (outcome.delivered && isBounceRef(ref)) return; // the common case: nothing to parse
    const parsed = parseRef(ref);
    if (!parsed || !this.link) return;
    if (parsed.t === 'bounce') {
      if (!outcome.delivered) await this.link.send(bounce(parsed, outcome));
      return;
    }
    if (parsed.t === 'reflect') return this.gateway?.reflectSettled(parsed, outcome);
    if (this.waits?.settle(ref, outcome)) return; // the iq still waits: its handler answers
    await this.gateway?.moderationSettled(parsed, outcome);
  }

  /** Resolves once the component is connected and has sent what waited (tests, admin tooling). */
  online(): Promise<void> {
    return this.link?.online() ?? Promise.reject(new Error('the XMPP bridge is not running'));
  }

  private onStanza(el: Element): void {
    // Most stanzas in a busy MUC are copies for occupants other than the reader: dropped first.
    if (
      el.name === 'message' &&
      el.attrs.type === 'groupchat' &&
      this.mucs?.isOtherCopy(el.attrs.from, el.attrs.to)
    )
      return;
    const gatewayRoom = this.gateway?.targetOf(el.attrs.to);
    if (gatewayRoom && el.name === 'presence') return this.gateway?.onPresence(el, gatewayRoom);
    if (gatewayRoom && el.name === 'message')
      return this.gateway?.onMessage(el, parseMessage(el), gatewayRoom);
    if (el.name === 'message') {
      const m = parseMessage(el);
      if (m.type === 'groupchat' || this.mucs?.isRoom(m.from)) this.mucs?.onMessage(el, m);
      else this.dms?.onMessage(el, m);
    } else if (el.name === 'presence') {
      if (this.dms?.onSubscription(el)) return;
      // A contact's own presence (not from a MUC of ours) is their ghost's; the rest the MUCs'.
      if (this.mucs?.isRoomAddress(el.attrs.from ?? '') || !this.dms?.contacts.onPresence(el))
        this.mucs?.onPresence(el);
    } // iqs never come here: the connection answers them (connection/iq.ts)
  }

  /** What the Matrix → XMPP handlers use (routing.ts): built once per start, not per event. */
  private fromMatrixDeps?: { link: ComponentLink; deps: fromMatrix.FromMatrixDeps };

  private get deps(): fromMatrix.FromMatrixDeps {
    const { ctx, link, reactions, mucs, gateway } = this;
    if (!ctx || !link || !reactions || !mucs || !gateway)
      throw new BridgeError('not-connected', 'the XMPP bridge is not running', true);
    if (this.fromMatrixDeps?.link !== link)
      this.fromMatrixDeps = { link, deps: fromMatrixDeps({ ctx, link, reactions, mucs, gateway }) };
    return this.fromMatrixDeps.deps;
  }

  handleMatrixMessage(msg: MatrixMessage): Promise<SendResult> {
    this.profiles?.note(msg.sender);
    return fromMatrix.handleMatrixMessage(this.deps, msg);
  }

  handleMatrixEdit(edit: MatrixEdit): Promise<void> {
    return fromMatrix.handleMatrixEdit(this.deps, edit);
  }

  handleMatrixRedaction(redaction: MatrixRedaction): Promise<void> {
    return fromMatrix.handleMatrixRedaction(this.deps, redaction);
  }

  handleMatrixReaction(reaction: MatrixReaction): Promise<SendResult> {
    return fromMatrix.handleMatrixReaction(this.deps, reaction);
  }

  async handleMatrixReceipt(receipt: MatrixReceipt): Promise<void> {
    const where = parsePortal(receipt.portal);
    // A receipt never makes a Matrix user join the MUC: only those in it show what they read.
    if (where?.kind === 'muc' && !this.mucs?.joined(where.room, receipt.userId)) return;
    if (where?.kind === 'private' && !this.mucs?.privates.canReach(where)) return;
    await fromMatrix.handleMatrixReceipt(this.deps, receipt);
  }

  async handleMatrixTyping(typing: MatrixTyping): Promise<void> {
    const where = parsePortal(typing.portal);
    // Typing alone never joins a MUC.
    if (where?.kind === 'muc' && !this.mucs?.joined(where.room, typing.userId)) return;
    if (where?.kind === 'private' && !this.mucs?.privates.canReach(where)) return;
    await fromMatrix.handleMatrixTyping(this.deps, typing, typing.userId);
  }

  /** A Matrix user's presence: their MUC occupants and their contacts show it. */
  async handleMatrixPresence(p: MatrixPresence): Promise<void> {
    if (!this.profiles?.setPresence(p)) return;
    this.mucs?.presenceChanged(p.userId, true);
    this.dms?.subscriptions.changed(p.userId);
  }

  async handleMatrixMembership(change: MatrixMembership): Promise<void> {
    if (change.membership === 'join' && change.target === change.sender.userId)
      this.profiles?.note(change.sender); // a new name or avatar is a join event too
    const where = parsePortal(change.portal);
    if (where?.kind === 'dm' || where?.kind === 'private') {
      if (
        change.target === where.owner &&
        change.membership !== 'join' &&
        change.membership !== 'invite'
      )
        await this.dms?.ownerLeft(change.portal);
      return;
    }
    if (where?.kind === 'muc') await this.mucs?.onMatrixMembership(where.room, change);
    if (where?.kind === 'gateway') await this.gateway?.onMatrixMembership(where.target, change);
  }

  async handleMatrixTopic(change: MatrixTopic): Promise<void> {
    const where = parsePortal(change.portal);
    if (where?.kind === 'gateway') return this.gateway?.onMatrixTopic(where.target, change);
    if (where?.kind !== 'muc') return; // a chat has no topic on XMPP
    await this.mucs?.setSubject(where.room, change);
  }

  async handleMatrixPowerLevels(change: MatrixPowerLevels): Promise<void> {
    const where = parsePortal(change.portal);
    if (where?.kind === 'muc') await this.mucs?.setPowerLevels(where.room, change);
    if (where?.kind === 'gateway') this.gateway?.onMatrixPowerLevels(where.target, change);
  }

  /**
   * `#xmpp_<room>=40<muc host>`: a MUC portal (the room is made by core; users join as
   * themselves); not found when the MUC may not be linked (newMucRefusal), logged.
   */
  async resolveAlias(localpart: string): Promise<PortalInfo | null> {
    const room = parseAliasLocalpart(localpart);
    if (!room || !this.ctx || !this.mucs) return null;
    const refused = await this.newMucRefusal(room);
    if (refused) {
      this.ctx.log.info({ muc: room, reason: refused }, 'a MUC alias was not resolved');
      return null;
    }
    return this.mucs.portalInfo(room);
  }

  /**
   * Why a portal may not be made for the MUC `room`: a service the config does not allow, or a
   * room that does not exist while create_rooms is off (muc-links/room-exists.ts). A MUC the bridge
   * has linked already is not asked again.
   */
  private async newMucRefusal(room: string): Promise<string | undefined> {
    const { config } = this.context;
    const refused = mucRefusal(config, room);
    if (refused || this.mucs?.isRoom(room)) return refused;
    return missingRoomRefusal(this.running(this.link), room, config.create_rooms);
  }

  /** `xmpp join` and `xmpp chat` (commands/commands.ts). */
  commands(): Command[] {
    return xmppCommands({
      domain: () => this.context.config.domain,
      mucRefused: (room) => this.newMucRefusal(room),
      openMuc: async (room, sender) => {
        const portal = await this.context.ensurePortal({
          ...this.running(this.mucs).portalInfo(room),
          invite: [sender],
        });
        await this.running(this.mucs).linked(room);
        await this.context.invite(portal.key, sender); // a room made before
        return portal;
      },
      mucAlias: (room) => this.context.portalAlias(aliasLocalpart(room)),
      openChat: (contact, sender) => this.running(this.dms).start(contact, sender),
    });
  }

  /** A Matrix user invited a ghost: a chat, a private chat or a gateway entry (ghost-invites.ts). */
  async handleGhostInvite(invite: GhostInvite): Promise<PortalKey | null> {
    return this.ctx ? ghostInvitePortal(this.ctx.config, this.gateway, this.mucs, invite) : null;
  }

  /** A link may give the MUC's password (`options.password`): link-password.ts. */
  readonly linkOptions = ['password'];

  /**
   * `link` and the provisioning API link a room to a MUC (`muc/<room@service>`), nothing else,
   * and only one that may be linked (newMucRefusal: one that exists, unless create_rooms), with a
   * password a join can carry.
   */
  async validateLink(remoteId: PortalKey, options: LinkOptions): Promise<string | undefined> {
    if (!this.ctx) return undefined;
    const refused = linkRefusal(this.ctx.config, remoteId, options.password);
    const where = parsePortal(remoteId);
    if (refused || where?.kind !== 'muc') return refused;
    return this.newMucRefusal(where.room);
  }

  /** A room now stands for a portal (made for an alias, or linked at run time). */
  async portalLinked(portal: PortalRecord, options?: LinkOptions): Promise<void> {
    const where = parsePortal(portal.key);
    if (where?.kind !== 'muc') return this.restore(portal);
    await mucLinked(this.context, this.running(this.mucs), where.room, portal, options?.password);
  }

  /** A portal known before (the store's, at start): its chat or room taken up again. */
  private restore(portal: PortalRecord): Promise<void> {
    return restorePortal(this.context.log, this.parts(), portal);
  }

  portalUnlinked(portal: PortalRecord): Promise<void> {
    return unlinkPortal(this.parts(), portal);
  }

  private parts = (): Parts => ({ dms: this.dms, mucs: this.mucs, gateway: this.gateway });

  private get context(): BridgeContext<XmppConfig> {
    if (!this.ctx) throw new Error('the XMPP bridge is not running');
    return this.ctx;
  }

  private running<T>(part: T | undefined): T {
    if (!part) throw new Error('the XMPP bridge is not running');
    return part;
  }

  /** The room of a portal, if it has one (tests, admin tooling). */
  async roomOf(key: PortalKey): Promise<string | undefined> {
    return (await this.ctx?.portals())?.find((p) => p.key === key)?.roomId;
  }

  /** A MUC's portal key (tests). */
  static mucPortal = mucPortal;
  static dmPortal = dmPortal;
  static mucPrivatePortal = mucPrivatePortal;
}
