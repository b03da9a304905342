/** One loaded connector with what core derives from its config: prefix, namespaces, state. */
import type { Connector, MatrixUserId, RemoteUserId } from '../connector.js';
import { escapeLocalpart, splitMatrixId, unescapeLocalpart } from './ghost-ids.js';

export type AnyConnector = Connector<unknown>;
export type BridgeState = 'starting' | 'running' | 'failed' | 'stopped';

export class BridgeRuntime {
  state: BridgeState = 'starting';
  stateReason?: string;

  constructor(
    readonly connector: AnyConnector,
    /** Localpart prefix of its ghosts and aliases, e.g. `irc_`. */
    readonly prefix: string,
    readonly config: unknown,
    private readonly domain: string,
  ) {}

  get id(): string {
    return this.connector.id;
  }

  ghostUserId(remote: RemoteUserId): MatrixUserId {
    return `@${this.prefix}${escapeLocalpart(remote)}:${this.domain}` as MatrixUserId;
  }

  /** The remote user behind a ghost of this bridge, or undefined. */
  remoteUserOf(userId: string): RemoteUserId | undefined {
    const local = this.ownLocalpart(userId, '@');
    return local === undefined ? undefined : (unescapeLocalpart(local) as RemoteUserId | undefined);
  }

  /** Whether a user id is in this bridge's exclusive namespace (its ghosts). */
  ownsUser(userId: string): boolean {
    return this.ownLocalpart(userId, '@') !== undefined;
  }

  /** The part of an alias after the prefix, when the alias is in this bridge's namespace. */
  aliasLocalpart(alias: string): string | undefined {
    return this.ownLocalpart(alias, '#');
  }

  private ownLocalpart(id: string, sigil: '@' | '#'): string | undefined {
    const parts = splitMatrixId(id, sigil);
    if (!parts || parts.server !== this.domain || !parts.localpart.startsWith(this.prefix))
      return undefined;
    const rest = parts.localpart.slice(this.prefix.length);
    return rest.length > 0 ? rest : undefined;
  }
}

/** The running bridge whose namespace holds `userId` (one of its ghosts), if any. */
export function bridgeOwning(
  runtimes: Map<string, BridgeRuntime>,
  userId: string,
): BridgeRuntime | undefined {
  for (const runtime of runtimes.values()) if (runtime.ownsUser(userId)) return runtime;
  return undefined;
}
