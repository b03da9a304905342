/**
 * deliverToNetwork under test: a connector that records what core hands it, a store of message
 * mappings in memory (one row: `$orig` ↔ `r-$orig`) and the homeserver's events from a list.
 */
import { z } from 'zod';
import type {
  Connector,
  MatrixEdit,
  MatrixMessage,
  MatrixPins,
  MatrixPowerLevels,
  MatrixRedaction,
  SendResult,
} from '../../src/connector.js';
import { remoteMessageId } from '../../src/connector.js';
import type { ClientEvent } from '../../src/matrix/events.js';
import type { MessageMapping } from '../../src/store/store.js';
import { BridgeRuntime } from '../../src/core/bridge-runtime.js';
import { deliverToNetwork, type DeliverDeps } from '../../src/core/from-matrix.js';
import type { MemberNames } from '../../src/core/member-names.js';
import { SendsInFlight } from '../../src/core/sends-in-flight.js';

export const ROOM = '!room:example.org';
const portal = { bridge: 'net', portalKey: 'p', roomId: ROOM, metadata: '{}', createdAt: 0 };

export class Recorder implements Connector {
  readonly id = 'net';
  readonly displayName = 'Net';
  readonly configSchema = z.unknown();
  messages: MatrixMessage[] = [];
  edits: MatrixEdit[] = [];
  /** What the network will answer later, for the next message (none: taken at once). */
  confirmNext?: Promise<void>;
  async start() {}
  async stop() {}
  async handleMatrixMessage(msg: MatrixMessage): Promise<SendResult> {
    this.messages.push(msg);
    const confirmed = this.confirmNext;
    this.confirmNext = undefined;
    return { remoteId: remoteMessageId(`r-${msg.eventId}`), ...(confirmed ? { confirmed } : {}) };
  }
  async handleMatrixEdit(edit: MatrixEdit): Promise<void> {
    this.edits.push(edit);
  }
  redactions: MatrixRedaction[] = [];
  async handleMatrixRedaction(redaction: MatrixRedaction): Promise<void> {
    this.redactions.push(redaction);
  }
  levels: MatrixPowerLevels[] = [];
  async handleMatrixPowerLevels(change: MatrixPowerLevels): Promise<void> {
    this.levels.push(change);
  }
  pins: MatrixPins[] = [];
  async handleMatrixPins(change: MatrixPins): Promise<void> {
    this.pins.push(change);
  }
}

export const event = (
  id: string,
  sender: string,
  content: Record<string, unknown>,
): ClientEvent => ({
  event_id: id,
  room_id: ROOM,
  sender,
  type: 'm.room.message',
  origin_server_ts: 1,
  content,
});

export function setup(
  events: ClientEvent[],
  fetchEvent?: DeliverDeps['fetchEvent'],
  capabilities?: Connector['capabilities'],
  inFlight?: SendsInFlight,
) {
  const rows: MessageMapping[] = [
    { bridge: 'net', portalKey: 'p', remoteId: 'r-$orig', roomId: ROOM, eventId: '$orig' },
  ];
  const connector = new Recorder();
  if (capabilities) Object.assign(connector, { capabilities });
  const runtime = new BridgeRuntime(connector, 'net_', {}, 'example.org');
  const byId = new Map(events.map((e) => [e.event_id, e]));
  const deps: DeliverDeps = {
    messages: {
      add: async (row) => void rows.push(row),
      remove: async (_, eventId) => {
        const at = rows.findIndex((r) => r.eventId === eventId);
        if (at >= 0) rows.splice(at, 1);
      },
      byEvent: async (_, eventId) => rows.find((r) => r.eventId === eventId),
      byRemote: async () => undefined,
    },
    members: {
      get: async (_: string, u: string) => `Name of ${u}`,
      profile: async (_: string, u: string) => ({ displayName: `Name of ${u}` }),
    } as unknown as MemberNames,
    bridgeOf: () => undefined,
    fetchEvent:
      fetchEvent ??
      (async (_, id) => {
        const found = byId.get(id);
        if (!found) throw new Error('404');
        return found;
      }),
    ...(inFlight ? { inFlight } : {}),
  };
  const deliver = (ev: ClientEvent) => deliverToNetwork(deps, runtime, portal, ev);
  return { connector, deliver, rows, deps };
}

export const reply = (id: string, to: string, body: string) =>
  event(id, '@bob:example.org', {
    msgtype: 'm.text',
    body: `> <@alice:example.org> the original\n\n${body}`,
    'm.relates_to': { 'm.in_reply_to': { event_id: to } },
  });

export const inThread = (id: string, root: string, last: string, fallback: boolean) =>
  event(id, '@bob:example.org', {
    msgtype: 'm.text',
    body: 'in the thread',
    'm.relates_to': {
      rel_type: 'm.thread',
      event_id: root,
      is_falling_back: fallback,
      'm.in_reply_to': { event_id: last },
    },
  });
