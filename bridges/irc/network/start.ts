/**
 * One configured network brought up at the bridge's start: its connections (IrcNetwork) with the
 * puppets' usernames, source addresses, chosen nicks and services accounts, the listener of its
 * bridged channels (netsplit holds restored), catch-up, private conversations and channel keys;
 * then (launchNetwork) connected, with the puppets of the last run back.
 */
import type { BridgeContext, PortalKey, RemoteEvent } from '../../../src/connector.js';
import { startCatchUp, type CatchUp } from '../catch-up/start.js';
import { ChannelKeys } from '../channels/channel-keys.js';
import { ChannelKeyStore } from '../channels/key-store.js';
import type { IrcAccounts } from '../commands/accounts.js';
import { chosenNicksKey } from '../commands/commands.js';
import type { IrcConfig, IrcNetworkConfig } from '../config.js';
import { IrcNetwork } from '../connection/client.js';
import { PuppetRoster } from '../connection/roster.js';
import { loadSourceAddresses } from '../connection/source-address.js';
import { registerGhostIds } from '../format/mentions.js';
import { IrcListener, type RemoteSink } from '../from-irc/from-irc.js';
import { readHolds, splitHoldsKey } from '../from-irc/netsplit.js';
import { IrcPrivateMessages } from '../from-irc/pm.js';
import { identUsername } from '../ident/usernames.js';
import { makePortalKey } from '../ids.js';
import type { ircMetrics } from './metrics.js';
import type { PoolLink } from '../pool/pool-link.js';
import type { ConnState } from '../pool/protocol.js';
import { reattachPuppets, seedFromSnapshot } from '../pool/reattach.js';

/** A running network and what listens on it. */
export interface NetworkEntry {
  network: IrcNetwork;
  listener: IrcListener;
  pms: IrcPrivateMessages;
  catchUp: CatchUp;
  /** The network's channel keys (config and `irc join`), sealed in the kv. */
  channelKeys: ChannelKeyStore;
  /** Without the pool: the puppets to connect again at start. */
  roster?: PuppetRoster;
}

/** What every network of the bridge shares. */
export interface NetworkShared {
  ctx: BridgeContext<IrcConfig>;
  emit(event: RemoteEvent, ref?: string): Promise<void>;
  sink: RemoteSink;
  accounts: IrcAccounts;
  measured: ReturnType<typeof ircMetrics>;
  pool?: PoolLink;
  /** The pool's connections at start (none without the pool). */
  snapshot: readonly ConnState[];
  hasPortal(key: PortalKey): boolean;
}

/** Makes network `id` and everything that listens on it, not connected yet. */
export async function openNetwork(
  id: string,
  config: IrcNetworkConfig,
  { ctx, emit, sink, accounts, measured, pool, snapshot, hasPortal }: NetworkShared,
): Promise<NetworkEntry> {
  const network = new IrcNetwork(id, config, ctx.log, pool);
  seedFromSnapshot(network, snapshot);
  network.onDropped = (kind) => measured.dropped(id, kind);
  registerGhostIds(network, ctx.ghostUserId);
  const addresses = config.source_prefix
    ? await loadSourceAddresses(ctx.kv, id, config.source_prefix, ctx.log)
    : undefined;
  const ident = ctx.config.ident.enabled;
  network.puppetOptions = (userId) => ({
    ...(ident ? { username: identUsername(userId) } : {}),
    ...(addresses ? { localAddress: addresses.addressFor(userId) } : {}),
  });
  const chosen = await ctx.kv.get<Record<string, string>>(chosenNicksKey(id));
  for (const [userId, nick] of Object.entries(chosen ?? {})) network.chosenNicks.set(userId, nick);
  await accounts.load(network);
  // Netsplit holds are stored (in order), so that a restart during the grace keeps them.
  let saved = Promise.resolve();
  const listener = new IrcListener(network, sink, (holds) => {
    saved = saved
      .then(() => ctx.kv.set(splitHoldsKey(id), holds))
      .catch((err: unknown) => ctx.log.warn({ err, irc: id }, 'netsplit holds not stored'));
  });
  listener.restoreHolds(readHolds(await ctx.kv.get<unknown>(splitHoldsKey(id))));
  listener.listen();
  const catchUp = await startCatchUp(network, listener, {
    kv: ctx.kv,
    log: ctx.log,
    hasPortal: (channel) => hasPortal(makePortalKey(id, channel)),
    metrics: {
      onReplayed: (outcome) => measured.replayed(id, outcome),
      onAwayNotice: () => measured.awayNotice(id),
    },
  });
  const pms = new IrcPrivateMessages(network, {
    emit,
    setGhostProfile: ctx.setGhostProfile,
    ensurePortal: ctx.ensurePortal,
    renamePortal: ctx.renamePortal,
    invite: ctx.invite,
    log: ctx.log,
  });
  // A JOIN refused for a channel key (+k) is made again with the key we know.
  const channelKeys = await ChannelKeyStore.open(id, config.channel_keys, ctx);
  const keys = new ChannelKeys(id, channelKeys, ctx.log);
  keys.attach(network.bot);
  network.onPuppet = (userId, puppet) => {
    pms.attach(userId, puppet);
    catchUp.watchPuppet(puppet);
    keys.attach(puppet);
  };
  // Without the pool, the puppets of the last run connect again now (roster.ts).
  const roster = pool ? undefined : new PuppetRoster(network, ctx.kv, ctx.log);
  return { network, listener, pms, catchUp, channelKeys, ...(roster ? { roster } : {}) };
}

/** Connects the network: the bot, and the puppets of the last run (from the pool or the roster). */
export async function launchNetwork(
  { network, roster }: NetworkEntry,
  { ctx, snapshot }: NetworkShared,
): Promise<void> {
  network.start();
  reattachPuppets(network, snapshot, ctx.log);
  await roster?.restore();
  roster?.watch();
}
