/**
 * The homeserver pushes back every event the bridge itself sent (Synapse does: its ghosts and its
 * bot are members of the rooms). Most of them need nothing: a bridge never hears its own ghosts,
 * and the bot's messages are its own. Those are dropped on arrival, before the inbox, so they cost
 * a lookup instead of a durable write, a queue turn and an outcome. An event of a ghost in a room
 * that another bridge also has a portal in still goes the whole way (it is relayed there), and so
 * does every state event (memberships teach core who is in a room).
 */
import type { ClientEvent } from '../matrix/events.js';
import { bridgeOwning, type BridgeRuntime } from './bridge-runtime.js';
import type { PortalDirectory } from './portals.js';

export class OwnEvents {
  constructor(
    private readonly runtimes: Map<string, BridgeRuntime>,
    private readonly portals: Pick<PortalDirectory, 'inRoom'>,
    private readonly botUserId: string,
  ) {}

  /** The events that need handling: `events` without the bridge's own that need nothing. */
  async needed(events: ClientEvent[]): Promise<ClientEvent[]> {
    const kept: ClientEvent[] = [];
    for (const ev of events) if (!(await this.needsNothing(ev))) kept.push(ev);
    return kept;
  }

  private async needsNothing(ev: ClientEvent): Promise<boolean> {
    if (ev.state_key !== undefined) return false;
    if (ev.sender === this.botUserId) return true;
    const owner = bridgeOwning(this.runtimes, ev.sender)?.id;
    if (!owner) return false;
    const portals = await this.portals.inRoom(ev.room_id);
    return portals.every((p) => p.bridge === owner);
  }
}
