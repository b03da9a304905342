/** Switchboard: wires the store, the Matrix side, the queues and the connectors, and runs them. */
import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import type { Logger } from 'pino';
import { ConfigError, describeIssues } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { appserviceRouter, type AppserviceHandlers } from '../matrix/appservice-router.js';
import { MatrixClient } from '../matrix/client.js';
import { IntentCache } from '../matrix/intent.js';
import { observabilityRouter } from '../observability/http.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { DatabaseInUseError } from '../store/instance-lock.js';
import { describeDatabase, openStore } from '../store/open-store.js';
import { describeStoreError } from '../store/store-errors.js';
import type { Store } from '../store/store.js';
import { appserviceHandlers } from './appservice-handlers.js';
import { BridgeRuntime, type AnyConnector } from './bridge-runtime.js';
import { coreCommands } from './commands/core-commands.js';
import { bridgeContext } from './context.js';
import { GhostDirectory } from './ghosts.js';
import { InboundTasks } from './inbound-task.js';
import { InboxRouter } from './inbox-router.js';
import { Listener } from './listener.js';
import { transactionFastPath, type FastPath } from '../matrix/transaction-fast-path.js';
import { TransactionIntake } from '../matrix/transaction-intake.js';
import { KeyedQueue } from './keyed-queue.js';
import { Management } from './management.js';
import { MemberNames } from './member-names.js';
import { Outcomes } from './outcomes.js';
import { PortalLinks } from './portal-links.js';
import { PortalDirectory } from './portals.js';
import { provisioningRouter } from './provisioning.js';
import { PublicLinks } from './public-links.js';
import { publicLinksRouter } from './public-links-router.js';
import { RemoteDelivery } from './remote-delivery.js';
import { SecretKey, secretKeyFile } from './secret-key.js';
import { StoreHealth } from './store-health.js';
import { HomeserverWatch } from '../status/health.js';
import { configWarnings, packageVersion, StatusPage } from '../status/index.js';
import { StatusSource } from '../status/snapshot.js';
import { TrafficRing } from '../status/traffic.js';
import {
  checkHomeserver,
  checkPing,
  checkToken,
  ensureBot,
  EXIT,
  STARTUP_TIMEOUT_MS,
  StartupError,
} from './startup-checks.js';

export interface SwitchboardOptions {
  /** Skip the ping round trip (for a homeserver that cannot reach the bridge, as in unit tests). */
  skipPing?: boolean;
  /** Base pause between retries of the Matrix client and the outbox (tests make it short). */
  retryBaseMs?: number;
}

const STOP_DRAIN_MS = 10_000;

/** A random id made once per database, kept in core's key-value namespace. */
async function storeInstanceId(store: Store): Promise<string> {
  let id = await store.kv.get('core', 'instance-id');
  if (!id) await store.kv.set('core', 'instance-id', (id = randomBytes(6).toString('base64url')));
  return id;
}

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
        problems: () => [this.storeHealth?.problem].filter((p) => p !== undefined),
      }),
    );
  }

  /** The port the appservice listener bound (useful with port 0). */
  get port(): number {
    return this.listener.port;
  }

  async start(): Promise<void> {
    const { config, log, options } = this;
    this.loadRuntimes();
    await this.listener.bind();
    const where = describeDatabase(config.database); // no password in it
    try {
      this.store = await openStore(config.database, {
        lockEvents: {
          lost: (err) =>
            log.warn({ err, database: where }, 'lost the database lock; taking it again'),
          back: () => log.info({ database: where }, 'holding the database lock again'),
          taken: (err) =>
            log.error(
              { err, database: where },
              'another switchboard took the database while this one was cut off from it: stop one of them',
            ),
        },
      });
    } catch (err) {
      const why = err instanceof DatabaseInUseError ? err.message : describeStoreError(err);
      throw new StartupError(`cannot open the database (${where}): ${why}`, EXIT.database);
    }
    try {
      await this.store.probeWrite();
    } catch (err) {
      throw new StartupError(
        `cannot write to the database (${where}): ${describeStoreError(err)}`,
        EXIT.database,
      );
    }
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
    const outcomes = (this.outcomes = new Outcomes(store, client, log));
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
    }));
    const backoff = options.retryBaseMs !== undefined ? { backoffBaseMs: options.retryBaseMs } : {};
    const instanceId = await storeInstanceId(store);
    const delivery = (this.delivery = new RemoteDelivery({
      store,
      client,
      ghosts,
      botUserId: this.botUserId,
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
    if (config.status_page.enabled) {
      const source = new StatusSource({
        version: packageVersion(),
        startedAt: this.startedAt,
        runtimes,
        metrics,
        store: () => this.store,
        databaseWhere: where,
        homeserver,
        traffic,
        warnings: () => configWarnings(config, this.statusPage),
        problems: () => [this.storeHealth?.problem].filter((p) => p !== undefined),
      });
      try {
        this.statusPage = new StatusPage({
          config: config.status_page,
          appserviceUrl: config.appservice.url,
          key: () => secretKey.derive('status-page'),
          source,
          retry: (id) => router.retry(id),
          log,
        });
      } catch (err) {
        throw new StartupError((err as Error).message, EXIT.config);
      }
    }
    for (const runtime of runtimes.values()) {
      try {
        await runtime.connector.start(
          bridgeContext(runtime, {
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
          }),
        );
        runtime.state = 'running';
      } catch (err) {
        runtime.state = 'failed';
        runtime.stateReason = (err as Error).message;
        log.error({ err, bridge: runtime.id }, 'a bridge failed to start; the others go on');
      }
    }

    // Replay before listening, so old events keep their place ahead of new ones.
    const replayed = await store.inbox.pending();
    for (const row of replayed) router.enqueue(row);
    const resent = await delivery.resume();
    if (replayed.length || resent)
      log.info({ inbox: replayed.length, outbox: resent }, 'resuming unfinished work');

    const served = this.routes(
      appserviceHandlers({
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
    );
    this.listener.route(served.routes, served.fastPath);
    try {
      await this.statusPage?.listen();
    } catch (err) {
      throw new StartupError((err as Error).message, EXIT.listen);
    }
    if (!options.skipPing) await checkPing(client, config.appservice.id, log);
    this.timers.push(
      setInterval(() => void this.prune(), 3_600_000).unref(),
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
    for (const runtime of this.runtimes.values()) {
      if (runtime.state === 'running') {
        await runtime.connector
          .stop()
          .catch((err: unknown) =>
            this.log.warn({ err, bridge: runtime.id }, 'a bridge did not stop cleanly'),
          );
      }
      runtime.state = 'stopped';
    }
    await this.store?.close();
    this.client?.http.close();
    this.statusProbe?.http.close();
    this.log.info('switchboard stopped');
  }

  private loadRuntimes(): void {
    const unknown = Object.keys(this.config.bridges).filter(
      (id) => !this.connectors.some((c) => c.id === id),
    );
    if (unknown.length) {
      const available = this.connectors.map((c) => c.id).join(', ');
      throw new ConfigError(
        'config',
        unknown.map((id) => `bridges.${id}: no such bridge; available: ${available}`),
      );
    }
    for (const connector of this.connectors) {
      const section = this.config.bridges[connector.id];
      if (!section?.enabled) continue;
      const { enabled: _enabled, prefix, ...own } = section;
      const parsed = connector.configSchema.safeParse(own);
      if (!parsed.success)
        throw new ConfigError(
          'config',
          describeIssues(parsed.error.issues, `bridges.${connector.id}`),
        );
      this.runtimes.set(
        connector.id,
        new BridgeRuntime(
          connector,
          prefix ?? `${connector.id}_`,
          parsed.data,
          this.config.homeserver.domain,
        ),
      );
    }
  }

  /**
   * What the listener serves once start is done: provisioning, public links, the appservice API,
   * and plain transactions on a fast path before all of them.
   */
  private routes(
    handlers: AppserviceHandlers,
    links: PortalLinks,
  ): { routes: Router; fastPath: FastPath } {
    const { config, log } = this;
    const maxBodyBytes = config.appservice.max_body_bytes;
    const hsToken = config.appservice.hs_token;
    const intake = new TransactionIntake((...args) => handlers.onTransaction(...args), log);
    const routes = Router();
    const secret = config.provisioning.enabled ? config.provisioning.secret : undefined;
    if (secret) {
      routes.use(
        '/_switchboard/provision/v1',
        provisioningRouter({ secret, links, inbox: this.store.inbox, runtimes: this.runtimes }),
      );
    }
    if (this.publicLinks) routes.use(publicLinksRouter(this.publicLinks, log));
    if (this.statusPage && !this.statusPage.ownListener) routes.use(this.statusPage.routes);
    routes.use(appserviceRouter({ hsToken, handlers, maxBodyBytes, log, intake }));
    return { routes, fastPath: transactionFastPath({ hsToken, intake, maxBodyBytes }) };
  }

  private async prune(): Promise<void> {
    const cutoff = Date.now() - this.config.retention_days * 86_400_000;
    const removed = await this.store.inbox.prune(cutoff).catch((err: unknown) => {
      this.log.warn({ err }, 'pruning the inbox failed');
      return 0;
    });
    if (removed) this.log.info({ removed }, 'pruned finished inbox events');
    const texts = await this.publicLinks?.prune().catch((err: unknown) => {
      this.log.warn({ err }, 'pruning the texts of expired public links failed');
      return 0;
    });
    if (texts) this.log.info({ removed: texts }, 'pruned the texts of expired public links');
  }
}
