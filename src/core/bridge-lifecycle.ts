/** The bridges' lifecycle: which are enabled (with their parsed config), starting and stopping them. */
import type { Logger } from 'pino';
import { ConfigError, describeIssues } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { BridgeRuntime, type AnyConnector } from './bridge-runtime.js';
import { bridgeContext } from './context.js';

/** A runtime per enabled bridge, its config checked by the connector's schema; unknown ids throw. */
export function loadRuntimes(
  config: Config,
  connectors: AnyConnector[],
): Map<string, BridgeRuntime> {
  const unknown = Object.keys(config.bridges).filter((id) => !connectors.some((c) => c.id === id));
  if (unknown.length) {
    const available = connectors.map((c) => c.id).join(', ');
    throw new ConfigError(
      'config',
      unknown.map((id) => `bridges.${id}: no such bridge; available: ${available}`),
    );
  }
  const runtimes = new Map<string, BridgeRuntime>();
  for (const connector of connectors) {
    const section = config.bridges[connector.id];
    if (!section?.enabled) continue;
    const { enabled: _enabled, prefix, ...own } = section;
    const parsed = connector.configSchema.safeParse(own);
    if (!parsed.success)
      throw new ConfigError(
        'config',
        describeIssues(parsed.error.issues, `bridges.${connector.id}`),
      );
    runtimes.set(
      connector.id,
      new BridgeRuntime(
        connector,
        prefix ?? `${connector.id}_`,
        parsed.data,
        config.homeserver.domain,
      ),
    );
  }
  return runtimes;
}

/** Starts every bridge; one that fails to start is marked failed and the others go on. */
export async function startRuntimes(
  runtimes: Map<string, BridgeRuntime>,
  deps: Parameters<typeof bridgeContext>[1],
): Promise<void> {
  for (const runtime of runtimes.values()) {
    try {
      await runtime.connector.start(bridgeContext(runtime, deps));
      runtime.state = 'running';
    } catch (err) {
      runtime.state = 'failed';
      runtime.stateReason = (err as Error).message;
      deps.log.error({ err, bridge: runtime.id }, 'a bridge failed to start; the others go on');
    }
  }
}

/** Stops the running bridges (a failure is logged) and marks every bridge stopped. */
export async function stopRuntimes(
  runtimes: Map<string, BridgeRuntime>,
  log: Logger,
): Promise<void> {
  for (const runtime of runtimes.values()) {
    if (runtime.state === 'running') {
      await runtime.connector
        .stop()
        .catch((err: unknown) =>
          log.warn({ err, bridge: runtime.id }, 'a bridge did not stop cleanly'),
        );
    }
    runtime.state = 'stopped';
  }
}
