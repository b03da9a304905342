/**
 * The IRC connector: configured networks, each with a listener (bot) connection in every
 * bridged channel and a puppet connection per Matrix user who speaks. Portals are channels,
 * made on demand from aliases `#<prefix><network>_#channel`, by `irc join` or listed in the
 * config, and private conversations with a nick (pm.ts).
 */
import {
  type AliasResolving,
  type BridgeContext,
  type Command,
  type EmitOutcome,
  type Connector,
  type EditCapable,
  type GhostInvite,
  type GhostInviteHandling,
  type MatrixEdit,
  type MatrixMembership,
  type MatrixTopic,
  type MatrixTyping,
  type MatrixUserId,
  type MatrixMessage,
  type MatrixRoomId,
  type MembershipCapable,
  type TopicCapable,
  type TypingCapable,
  type PortalInfo,
  type PortalKey,
  type RemoteEvent,
  type PortalRecord,
  type SendResult,
  type ThirdPartyCapable,
  type ThirdPartyLocation,
  type ThirdPartyProtocol,
  type ThirdPartyUser,
} from '../../src/connector.js';
import { IrcAccounts } from './commands/accounts.js';
import { parseRefusedRef, RefusalNotices } from './from-irc/refusals.js';
import { PoolLink } from './pool/pool-link.js';
import { ircCommands, NICK } from './commands/commands.js';
import {
  ircThirdPartyLocations,
  ircThirdPartyProtocol,
  ircThirdPartyUsers,
  type ThirdPartyDeps,
} from './third-party.js';
import {
  launchNetwork,
  openNetwork,
  type NetworkEntry,
  type NetworkShared,
} from './network/start.js';
import { ircConfigSchema, type IrcConfig } from './config.js';
import { ircMetrics } from './network/metrics.js';
import type { IdentServer } from './ident/ident-server.js';
import { startIdentServer } from './ident/start.js';
import {
  handleMatrixEdit,
  handleMatrixMessage,
  type FromMatrixDeps,
} from './from-matrix/from-matrix.js';
import { handleMatrixMembership } from './from-matrix/membership.js';
import { setTopic } from './connection/requests.js';
import { sendTyping } from './from-matrix/typing.js';
import {
  aliasLocalpart,
  makePmKey,
  makePortalKey,
  parseAliasLocalpart,
  parsePmKey,
  parsePortalKey,
  parseRemoteUser,
} from './ids.js';

/** How long an alias query waits for the bot to join the channel (to learn its topic) before answering anyway. */
const ALIAS_JOIN_WAIT_MS = 5_000;

export class IrcConnector
  implements
    Connector<IrcConfig>,
    AliasResolving,
    ThirdPartyCapable,
    GhostInviteHandling,
    MembershipCapable,
    TypingCapable,
    TopicCapable,
    EditCapable
{
  readonly id = 'irc';
  readonly displayName = 'IRC';
  readonly configSchema = ircConfigSchema;
  readonly capabilities = { maxBodyBytes: 16_384, formatting: true };
  private ctx?: BridgeContext<IrcConfig>;
  private readonly networks = new Map<string, NetworkEntry>();
  /** Portal keys that have a Matrix room: only their channels are bridged to Matrix. */
  private readonly portalKeys = new Set<string>();
  /** The ident server (RFC 1413), when `ident.enabled`. */
  private ident?: IdentServer;
  /** Users' services accounts (`irc login`), sealed in the kv; made at start. */
  private accounts?: IrcAccounts;
  /** The connection pool (`pool.redis`), when the connections are held there. */
  private pool?: PoolLink;
  /** NOTICEs to IRC users whose messages Matrix refused, from each network's bot. */
  private readonly refusals = new RefusalNotices((network, line) => {
    const bot = this.networks.get(network)?.network.bot;
    void bot?.writeLines([line]).catch(() => undefined); // not connected: nobody to tell
  });

  async start(ctx: BridgeContext<IrcConfig>): Promise<void> {
    this.ctx = ctx;
    this.accounts = new IrcAccounts({ kv: ctx.kv, secrets: ctx.secrets, log: ctx.log });
    // IRC acknowledges nothing (a line still in the socket buffer is lost with the process
    // anyway), so stored events need survive only a crash of the bridge, not a flush each.
    const emit = (event: RemoteEvent, ref?: string) =>
      ctx.emit(event, { survives: 'process-crash', ...(ref !== undefined ? { ref } : {}) });
    const sink = {
      emit,
      setGhostProfile: ctx.setGhostProfile,
      hasPortal: (key: PortalKey) => this.portalKeys.has(key),
      portalGhosts: ctx.portalGhosts,
      notify: ctx.notify,
      log: ctx.log,
    };
    const measured = ircMetrics(ctx.metrics, () => this.networks.values());
    if (ctx.config.pool) {
      this.pool = new PoolLink(ctx.config.pool, ctx.log.child({ ircPool: ctx.config.pool.prefix }));
    }
    const snapshot = (await this.pool?.start()) ?? [];
    // With the pool, the pool process holds the sockets, and answers ident itself (it reads the
    // same `ident` section); the bridge still gives each puppet its per-user username.
    if (ctx.config.ident.enabled && this.pool)
      ctx.log.info('ident: answered by switchboard irc-pool, which holds the connections');
    else if (ctx.config.ident.enabled)
      this.ident = await startIdentServer(
        ctx.config.ident,
        () => [...this.networks.values()].map((n) => n.network),
        ctx.log,
        measured.identAnswer,
      );
    const shared: NetworkShared = {
      ctx,
      emit,
      sink,
      accounts: this.accounts,
      measured,
      snapshot,
      hasPortal: (key) => this.portalKeys.has(key),
      ...(this.pool ? { pool: this.pool } : {}),
    };
    for (const [id, config] of Object.entries(ctx.config.networks)) {
      const entry = await openNetwork(id, config, shared);
      this.networks.set(id, entry);
      await launchNetwork(entry, shared);
    }
    if (this.pool) {
      const entries = [...this.networks.values()];
      this.pool.storedGate = () =>
        Promise.all(entries.flatMap((e) => [e.listener.idle(), e.pms.idle()]));
    }
    for (const portal of await ctx.portals()) this.track(portal.key);
    // Static channels get their rooms now (made, or the room they are mapped to), so that IRC
    // users are heard from the start.
    for (const [id, config] of Object.entries(ctx.config.networks)) {
      for (const channel of config.channels) {
        const key = makePortalKey(id, channel);
        const roomId = config.channel_rooms?.[channel.toLowerCase()] as MatrixRoomId | undefined;
        if (this.portalKeys.has(key) && !roomId) continue;
        await ctx
          .ensurePortal({ key, name: channel, joinRule: 'public', ...(roomId ? { roomId } : {}) })
          .then((p) => this.track(p.key))
          .catch((err: unknown) =>
            ctx.log.warn(
              { err, irc: id, channel },
              'could not make the room of a configured channel',
            ),
          );
      }
    }
  }

  async stop(): Promise<void> {
    // With the pool, every connection stays up there: nothing quits on IRC.
    this.pool?.detachAll();
    for (const { network, listener, catchUp, roster } of this.networks.values()) {
      await roster?.flush();
      await catchUp.stop();
      listener.stop();
      network.stop();
    }
    await this.pool?.stop();
    this.pool = undefined;
    this.networks.clear();
    this.portalKeys.clear();
    await this.ident?.stop();
    this.ident = undefined;
    this.ctx = undefined;
  }

  handleMatrixMessage(msg: MatrixMessage): Promise<SendResult> {
    return handleMatrixMessage(this.fromMatrixDeps(), msg);
  }

  /** An edit of a message said on IRC is said again as a `* ` correction. */
  handleMatrixEdit(edit: MatrixEdit): Promise<void> {
    return handleMatrixEdit(this.fromMatrixDeps(), edit);
  }

  private fromMatrixDeps(): FromMatrixDeps {
    return {
      network: (id) => this.networks.get(id)?.network,
      ghostRemoteId: (u) => this.ctx?.ghostRemoteId(u),
      publicLink: (target) => this.ctx?.publicLink(target) ?? Promise.resolve(undefined),
      nickOf: (user) => {
        const network = parseRemoteUser(user)?.network;
        const entry = network === undefined ? undefined : this.networks.get(network);
        return entry?.listener.nickOf(user) ?? entry?.pms.nickOf(user);
      },
    };
  }

  /** Relay mode: Matrix users have no IRC connection of their own to join, part, kick or set topics with. */
  private relays(portal: PortalKey): boolean {
    const where = parsePortalKey(portal);
    return !!where && this.networks.get(where.network)?.network.config.mode === 'relay';
  }

  /** A Matrix topic change is TOPIC by the user's own connection (IRC may refuse: +t, not op). */
  async handleMatrixTopic(change: MatrixTopic): Promise<void> {
    const where = parsePortalKey(change.portal);
    const network = where && this.networks.get(where.network)?.network;
    if (!where || !network) return; // a private chat has no topic on IRC
    if (this.relays(change.portal)) return;
    const puppet = network.puppetFor(change.sender.userId, change.sender.displayName);
    await puppet.join(where.channel);
    await setTopic(puppet, where.channel.toLowerCase(), change.topic);
  }

  /** Matrix typing → `+typing` from the user's connection, when it is in the channel. */
  async handleMatrixTyping(typing: MatrixTyping): Promise<void> {
    sendTyping((id) => this.networks.get(id)?.network, typing);
  }

  /** Joins connect the user's puppet into the channel at once; leaving, kicks and bans PART. */
  async handleMatrixMembership(change: MatrixMembership): Promise<void> {
    if (!this.ctx || this.relays(change.portal)) return;
    const ctx = this.ctx;
    await handleMatrixMembership(
      {
        network: (id) => this.networks.get(id)?.network,
        ghostNick: (userId, network) => {
          const remote = ctx.ghostRemoteId(userId);
          const who = remote && parseRemoteUser(remote);
          if (!who || who.network !== network) return undefined;
          return this.networks.get(who.network)?.listener.nickOf(remote) ?? who.nick;
        },
        restoreGhost: (network, channel, nick) =>
          this.networks.get(network)?.listener.restoreGhost(channel, nick),
        log: ctx.log,
      },
      change,
    );
  }

  /** `<network>_#channel`: the bot joins the channel (its topic becomes the room's) and core makes the room. */
  async resolveAlias(localpart: string): Promise<PortalInfo | null> {
    const where = parseAliasLocalpart(localpart);
    return where ? this.channelPortal(where.network, where.channel) : null;
  }

  /** A direct chat with a ghost is a private conversation with its nick, through the inviter's puppet. */
  async handleGhostInvite(invite: GhostInvite): Promise<PortalKey | null> {
    const who = parseRemoteUser(invite.ghost);
    if (!invite.isDirect || !who || !this.networks.has(who.network) || !NICK.test(who.nick))
      return null;
    return makePmKey(who.network, who.nick, invite.inviter);
  }

  commands(): Command[] {
    return ircCommands({
      network: (id) => this.networks.get(id)?.network,
      networkIds: () => [...this.networks.keys()],
      openChannel: async (network, channel, sender) => {
        const info = await this.channelPortal(network, channel);
        if (!info || !this.ctx) throw new Error(`there is no IRC network ${network}`);
        const portal = await this.ctx.ensurePortal({ ...info, invite: [sender] });
        this.track(portal.key);
        await this.ctx.invite(portal.key, sender); // a room made before: invite-only ones too
        return portal;
      },
      channelAlias: (network, channel) =>
        this.ctx?.portalAlias(aliasLocalpart(network, channel)) ?? '',
      kv: {
        get: (key) => this.context.kv.get(key),
        set: (key, value) => this.context.kv.set(key, value),
        delete: (key) => this.context.kv.delete(key),
      },
      rememberChannelKey: (network, channel, key) => {
        const keys = this.networks.get(network)?.channelKeys;
        if (!keys) throw new Error(`there is no IRC network ${network}`);
        return keys.remember(channel, key);
      },
      saveAccount: (network, userId, account) => {
        if (!this.accounts) throw new Error('the IRC bridge is not running');
        return this.accounts.save(network, userId, account);
      },
    });
  }

  /** Matrix gave up on an IRC user's message: the bot tells them (refusals.ts). */
  emitSettled(ref: string, outcome: EmitOutcome): void {
    if (outcome.delivered) return; // the common case: nothing to tell, nothing to parse
    const refused = parseRefusedRef(ref);
    if (refused) this.refusals.refused(refused, outcome);
  }

  async portalLinked(portal: PortalRecord): Promise<void> {
    this.track(portal.key);
  }

  async portalUnlinked(portal: PortalRecord): Promise<void> {
    this.portalKeys.delete(portal.key);
    const pm = parsePmKey(portal.key);
    if (pm) this.networks.get(pm.network)?.pms.hasRoom(portal.key, false);
  }

  thirdPartyProtocol(): ThirdPartyProtocol {
    return ircThirdPartyProtocol([...this.networks.keys()]);
  }

  async thirdPartyLocations(fields: Record<string, string>): Promise<ThirdPartyLocation[]> {
    return this.ctx ? ircThirdPartyLocations(this.thirdPartyDeps(), fields) : [];
  }

  async thirdPartyUsers(fields: Record<string, string>): Promise<ThirdPartyUser[]> {
    return this.ctx ? ircThirdPartyUsers(this.thirdPartyDeps(), fields) : [];
  }

  private thirdPartyDeps(): ThirdPartyDeps {
    return { ctx: this.context, networks: [...this.networks.keys()] };
  }

  /** The Matrix room of a channel, if it has one (admin tooling and tests). */
  async roomOf(network: string, channel: string): Promise<string | undefined> {
    const key = makePortalKey(network, channel);
    return (await this.ctx?.portals())?.find((p) => p.key === key)?.roomId;
  }

  /** The room of a private conversation between a Matrix user and a nick, if it has one (tests). */
  async pmRoomOf(network: string, nick: string, owner: MatrixUserId): Promise<string | undefined> {
    const key = makePmKey(network, nick, owner);
    return (await this.ctx?.portals())?.find((p) => p.key === key)?.roomId;
  }

  private get context(): BridgeContext<IrcConfig> {
    if (!this.ctx) throw new Error('the IRC bridge is not running');
    return this.ctx;
  }

  /** The bot joins the channel (waiting a little, to learn its topic): what core needs to make its room. */
  private async channelPortal(network: string, channel: string): Promise<PortalInfo | null> {
    const entry = this.networks.get(network);
    if (!entry) return null;
    const key = makePortalKey(network, channel);
    this.portalKeys.add(key);
    const joined = entry.network.joinBot(channel);
    await Promise.race([joined, new Promise((r) => setTimeout(r, ALIAS_JOIN_WAIT_MS).unref())]);
    const topic = entry.listener.topicOf(channel);
    // A secret, private or invite-only channel (+s/+p/+i) gets an invite-only room.
    const hidden = await entry.listener.isHidden(channel);
    return {
      key,
      name: channel.toLowerCase(),
      ...(topic ? { topic } : {}),
      joinRule: hidden ? 'invite' : 'public',
    };
  }

  /** A portal with a room: its channel is bridged, so the bot joins it. */
  private track(key: PortalKey): void {
    this.portalKeys.add(key);
    const pm = parsePmKey(key);
    if (pm) this.networks.get(pm.network)?.pms.hasRoom(key);
    const where = parsePortalKey(key);
    const entry = where && this.networks.get(where.network);
    if (where && entry) {
      void entry.network.joinBot(where.channel);
      entry.listener.announceMembers(where.channel);
    }
  }
}
