/** Switchboard: wires the store, the Matrix side, the queues and the connectors, and runs them. */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { MatrixClient } from '../matrix/client.js';
import { IntentCache } from '../matrix/intent.js';
import { observabilityRouter } from '../observability/http.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { HomeserverWatch } from '../status/health.js';
import type { StatusPage } from '../status/index.js';
import { TrafficRing } from '../status/traffic.js';
import type { Store } from '../store/store.js';
import { appserviceHandlers } from './appservice-handlers.js';
import { loadRuntimes, startRuntimes, stopRuntimes } from './bridge-lifecycle.js';
import { bridgeOwning, type AnyConnector, type BridgeRuntime } from './bridge-runtime.js';
import { coreCommands } from './commands/core-commands.js';
import { GhostDirectory } from './ghosts.js';
import { InboundTasks } from './inbound-task.js';
import { InboxRouter } from './inbox-router.js';
import { KeyedQueue } from './keyed-queue.js';
import { Listener } from './listener.js';
import { Management } from './management.js';
import { MemberNames } from './member-names.js';
import { openDatabase, storeInstanceId } from './open-database.js';
import { Outcomes } from './outcomes.js';
import { RoomVoices } from './room-voices.js';
import { SendsInFlight } from './sends-in-flight.js';
import { PortalLinks } from './portal-links.js';
import { PortalDirectory } from './portals.js';
import { PublicLinks } from './public-links.js';
import { RemoteDelivery } from './remote-delivery.js';
import { pruneExpired } from './retention.js';
import { SecretKey, secretKeyFile } from './secret-key.js';
import { servedRoutes } from './served-routes.js';
import {
  checkHomeserver,
  checkPing,
  checkToken,
  ensureBot,
  EXIT,
  STARTUP_TIMEOUT_MS,
  StartupError,
} from './startup-checks.js';
import { statusPageFor } from './status-wiring.js';
import { StoreHealth } from './store-health.js';

export interface SwitchboardOptions {
  /** Skip the ping round trip (for a homeserver that cannot reach the bridge, as in unit tests). */
  skipPing?: boolean;
  /** Base pause between retries of the Matrix client and the outbox (tests make it short). */
  retryBaseMs?: number;
}

const STOP_DRAIN_MS = 10_000;

export class Switchboard {
  readonly metrics: Metrics = createMetrics();
  readonly runtimes = new Map<string, BridgeRuntime>();
  readonly botUserId: string;
  store!: Store;
  private readonly listener: Listener;
  private storeHealth?: StoreHealth;
  private ready = false;
  private timers: NodeJS.Timeout[] = [];
  private inbound?: KeyedQueue;
  private router?: InboxRouter;
  private outbound?: KeyedQueue;
  private delivery?: RemoteDelivery;
  private outcomes?: Outcomes;
  private client?: MatrixClient;
  /** Signs links and seals bridges' secrets (made on first use). */
  secretKey?: SecretKey;
  /** Links to media and long texts for text-only networks; only when `public_links` is set. */
  publicLinks?: PublicLinks;
  /** The admins' status page; only when `status_page.enabled`. */
  statusPage?: StatusPage;
  private readonly startedAt = Date.now();
  private statusProbe?: MatrixClient;

  constructor(
    readonly config: Config,
    private readonly connectors: AnyConnector[],
    readonly log: Logger,
    private readonly options: SwitchboardOptions = {},
  ) {
    this.botUserId = `@${config.appservice.bot.localpart}:${config.homeserver.domain}`;
    this.listener = new Listener(
      config,
      log,
      observabilityRouter({
        metrics: this.metrics,
        ready: () => this.ready,
        problems: () => this.problems(),
      }),
    );
  }

  /** The port the appservice listener bound (useful with port 0). */
  get port(): number {
    return this.listener.port;
  }

  async start(): Promise<void> {
    const { config, log, options } = this;
    for (const [id, runtime] of loadRuntimes(config, this.connectors))
      this.runtimes.set(id, runtime);
    await this.listener.bind();
    const opened = await openDatabase(config.database, log);
    this.store = opened.store;
    const where = opened.where;
    const storeHealth = (this.storeHealth = new StoreHealth(this.store, where, this.metrics, log));
    const retry =
      options.retryBaseMs !== undefined ? { retry: { baseDelayMs: options.retryBaseMs } } : {};
    const client = (this.client = new MatrixClient({
      homeserverUrl: config.homeserver.url,
      asToken: config.appservice.as_token,
      log,
      ...retry,
    }));
    const intents = new IntentCache({ client, botUserId: this.botUserId, log });
    const onQueueError = (key: string, err: unknown) =>
      log.error({ err, roomId: key }, 'queued task failed');
    const inbound = (this.inbound = new KeyedQueue(config.queues.portal_concurrency, onQueueError));
    const outbound = (this.outbound = new KeyedQueue(
      config.queues.portal_concurrency,
      onQueueError,
    ));
    const store = this.store;
    const { metrics, runtimes } = this;
    const portals = new PortalDirectory(store, client, this.botUserId, log);
    const ghosts = new GhostDirectory(store, intents);
    const voices = new RoomVoices(store.kv, client);
    const inFlight = new SendsInFlight();
    const outcomes = (this.outcomes = new Outcomes(store, voices, log));
    const management = new Management(
      store.kv,
      client,
      runtimes,
      new Set(config.admins),
      log,
      store.inbox,
    );
    const members = new MemberNames(client);
    const tasks = new InboundTasks();
    const router = (this.router = new InboxRouter({
      store,
      queue: inbound,
      tasks,
      portals,
      runtimes,
      outcomes,
      management,
      members,
      intents,
      metrics,
      log,
      botUserId: this.botUserId,
      voices,
      inFlight,
    }));
    const backoff = options.retryBaseMs !== undefined ? { backoffBaseMs: options.retryBaseMs } : {};
    const instanceId = await storeInstanceId(store);
    const delivery = (this.delivery = new RemoteDelivery({
      store,
      client,
      ghosts,
      botUserId: this.botUserId,
      voices,
      inFlight,
      queue: outbound,
      inbound: tasks,
      portals,
      runtimes,
      metrics,
      log,
      instanceId,
      ...backoff,
    }));
    const links = new PortalLinks(portals, client);
    management.setCoreCommands(
      coreCommands({
        runtimes,
        links,
        inbox: store.inbox,
        help: () => management.help(),
        retry: (id) => router.retry(id),
        statusLink: (userId) =>
          this.statusPage && {
            url: this.statusPage.linkFor(userId),
            minutes: config.status_page.link_ttl_minutes,
          },
      }),
    );

    const probe = new MatrixClient({
      homeserverUrl: config.homeserver.url,
      asToken: config.appservice.as_token,
      log,
      timeoutMs: STARTUP_TIMEOUT_MS,
      ...retry,
    });
    await checkHomeserver(probe, config.homeserver.url).finally(() => probe.http.close());
    await checkToken(client, this.botUserId);
    await ensureBot(client, config.appservice.bot.localpart);
    await intents
      .intentFor(this.botUserId)
      .setDisplayName(config.appservice.bot.displayname)
      .catch(() => undefined);

    const secretKey = (this.secretKey = new SecretKey(secretKeyFile(config)));
    const publicLinks = (this.publicLinks = config.public_links
      ? new PublicLinks({
          url: config.public_links.url,
          ttlHours: config.public_links.ttl_hours,
          key: () => secretKey.derive('public-links'),
          kv: store.kv,
          download: (mxc) => client.downloadMedia(mxc),
        })
      : undefined);
    const homeserver = new HomeserverWatch(
      (this.statusProbe = new MatrixClient({
        homeserverUrl: config.homeserver.url,
        asToken: config.appservice.as_token,
        log,
        timeoutMs: 3_000,
        retry: { maxAttempts: 1 },
      })),
      config.appservice.id,
    );
    const traffic = new TrafficRing();
    this.statusPage = statusPageFor(config, {
      startedAt: this.startedAt,
      runtimes,
      metrics,
      store: () => this.store,
      databaseWhere: where,
      homeserver,
      traffic,
      problems: () => this.problems(),
      secretKey,
      retry: (id) => router.retry(id),
      log,
    });
    await startRuntimes(runtimes, {
      domain: config.homeserver.domain,
      log,
      kv: store.kv,
      portals,
      ghosts,
      delivery,
      client,
      secretKey,
      metrics,
      publicLinks,
      notify: (userId, text) => management.notify(userId, text),
      isBridgeUser: (userId) => userId === this.botUserId || !!bridgeOwning(runtimes, userId),
    });

    // Replay before listening, so old events keep their place ahead of new ones.
    const replayed = await store.inbox.pending();
    for (const row of replayed) router.enqueue(row);
    const resent = await delivery.resume();
    if (replayed.length || resent)
      log.info({ inbox: replayed.length, outbox: resent }, 'resuming unfinished work');

    const served = servedRoutes({
      config,
      log,
      metrics,
      handlers: appserviceHandlers({
        delivery,
        store,
        storeHealth,
        router,
        runtimes,
        portals,
        ghosts,
        metrics,
        log,
        botUserId: this.botUserId,
        onReceived: () => homeserver.transactionReceived(),
      }),
      links,
      inbox: store.inbox,
      runtimes,
      publicLinks,
      statusPage: this.statusPage,
    });
    this.listener.route(served.routes, served.fastPath);
    try {
      await this.statusPage?.listen();
    } catch (err) {
      throw new StartupError((err as Error).message, EXIT.listen);
    }
    if (!options.skipPing) await checkPing(client, config.appservice.id, log);
    this.timers.push(
      setInterval(
        () =>
          void pruneExpired({
            inbox: store.inbox,
            retentionDays: config.retention_days,
            publicLinks,
            log,
          }),
        3_600_000,
      ).unref(),
      setInterval(() => {
        metrics.queueDepth.set({ direction: 'to_network' }, inbound.size);
        metrics.queueDepth.set({ direction: 'to_matrix' }, outbound.size);
      }, 1_000).unref(),
      setInterval(() => void traffic.sample(metrics.events), 5_000).unref(),
    );
    this.ready = true;
    log.info({ port: this.port, bridges: [...runtimes.keys()] }, 'switchboard is running');
  }

  /** Stops taking transactions, drains the queues, stops the bridges and closes the store. */
  async stop(): Promise<void> {
    this.ready = false;
    for (const timer of this.timers) clearInterval(timer);
    this.storeHealth?.stop();
    await this.listener.close();
    await this.statusPage?.close();
    // Matrix events first (they may emit remote events), then what they emitted; within a deadline.
    const deadline = new Promise((r) => setTimeout(r, STOP_DRAIN_MS).unref());
    await Promise.race([
      this.inbound
        ?.idle()
        .then(() => this.router?.answered())
        .then(() => this.outbound?.idle()),
      deadline,
    ]);
    this.delivery?.stop(); // sends still retrying stay in the outbox for the next start
    await this.outcomes?.flush();
    await stopRuntimes(this.runtimes, this.log);
    await this.store?.close();
    this.client?.http.close();
    this.statusProbe?.http.close();
    this.log.info('switchboard stopped');
  }

  private problems(): string[] {
    return [this.storeHealth?.problem].filter((p) => p !== undefined);
  }
}
