// Which membership events of a bridge's own ghosts core hands the bridge: what users do to them
// (an invite, a kick, a ban), not the ghosts' own comings and goings (the bridge's doing).
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Connector, MatrixMembership, SendResult } from '../connector.js';
import { remoteMessageId } from '../connector.js';
import type { ClientEvent } from '../matrix/events.js';
import { BridgeRuntime } from './bridge-runtime.js';
import { deliverToNetwork, type DeliverDeps } from './from-matrix.js';
import type { MemberNames } from './member-names.js';

const ROOM = '!room:example.org';
const GHOST = '@net_carl:example.org';
const portal = { bridge: 'net', portalKey: 'p', roomId: ROOM, metadata: '{}', createdAt: 0 };

class Recorder implements Connector {
  readonly id = 'net';
  readonly displayName = 'Net';
  readonly configSchema = z.unknown();
  changes: MatrixMembership[] = [];
  async start() {}
  async stop() {}
  async handleMatrixMessage(): Promise<SendResult> {
    return { remoteId: remoteMessageId('r') };
  }
  async handleMatrixMembership(change: MatrixMembership): Promise<void> {
    this.changes.push(change);
  }
}

const member = (sender: string, target: string, membership: string): ClientEvent => ({
  event_id: `$${membership}`,
  room_id: ROOM,
  sender,
  type: 'm.room.member',
  state_key: target,
  origin_server_ts: 1,
  content: { membership },
});

async function delivered(events: ClientEvent[]): Promise<string[]> {
  const connector = new Recorder();
  const runtime = new BridgeRuntime(connector, 'net_', {}, 'example.org');
  const deps = {
    members: {
      get: async (_: string, u: string) => `Name of ${u}`,
      profile: async (_: string, u: string) => ({ displayName: `Name of ${u}` }),
    } as unknown as MemberNames,
    bridgeOf: () => undefined,
    fetchEvent: async () => {
      throw new Error('404');
    },
  } as unknown as DeliverDeps;
  for (const ev of events) await deliverToNetwork(deps, runtime, portal, ev);
  return connector.changes.map((c) => `${c.membership} ${c.target}`);
}

describe("deliverToNetwork: memberships of the bridge's ghosts", () => {
  it('hands over a user inviting, kicking or banning a ghost', async () => {
    expect(
      await delivered([
        member('@alice:example.org', GHOST, 'invite'),
        member('@alice:example.org', GHOST, 'leave'),
        member('@alice:example.org', GHOST, 'ban'),
      ]),
    ).toEqual([`invite ${GHOST}`, `kick ${GHOST}`, `ban ${GHOST}`]);
  });

  it("leaves out the ghost's own joins and leaves", async () => {
    expect(await delivered([member(GHOST, GHOST, 'join'), member(GHOST, GHOST, 'leave')])).toEqual(
      [],
    );
  });
});
