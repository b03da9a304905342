// BridgeContext.invite against the fake homeserver: the bot invites a Matrix user back to a portal
// room it is in; in a room it is not in (a direct chat a Matrix user started with a ghost) only the
// ghost can, with `as`; nothing is sent to a user in the room already.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  portalKey,
  remoteUserId,
  type BridgeContext,
  type MatrixUserId,
  type PortalKey,
} from '../connector.js';
import { createMetrics } from '../observability/metrics.js';
import { silentLog } from '../../test/matrix/helpers.js';
import { FakeHomeserver } from '../../test/support/fake-homeserver.js';
import { ghostsInMemory } from '../../test/support/ghosts-in-memory.js';
import { BridgeRuntime } from './bridge-runtime.js';
import { bridgeContext } from './context.js';

const ALICE = remoteUserId('alice');
const MATT = '@matt:localhost' as MatrixUserId;
const CHAT = portalKey('dm/alice/matt');

let hs: FakeHomeserver;
let ctx: BridgeContext<unknown>;
let ghost: string;
let invites: () => number;
/** The room each portal key stands for. */
const rooms = new Map<string, string>();

beforeAll(async () => {
  hs = await FakeHomeserver.start();
  const log = silentLog();
  const { client, ghosts } = ghostsInMemory(hs, log, {
    maxAttempts: 1,
    baseDelayMs: 1,
    maxDelayMs: 1,
  });
  const connector = { id: 'net', displayName: 'Net', configSchema: z.unknown() };
  const runtime = new BridgeRuntime(connector as never, 'test_', {}, hs.serverName);
  ctx = bridgeContext(runtime, {
    domain: hs.serverName,
    log,
    kv: {} as never,
    portals: {
      get: async (_bridge: string, key: string) => {
        const roomId = rooms.get(key);
        return roomId ? { bridge: 'net', key, roomId } : undefined;
      },
    } as never,
    ghosts,
    delivery: {} as never,
    client,
    secretKey: {} as never,
    metrics: createMetrics(),
    notify: async () => false,
    isBridgeUser: () => false,
  });
  ghost = runtime.ghostUserId(ALICE);
  hs.addUser(MATT);
  invites = () => hs.countRequests('POST', /\/invite$/);
});
afterAll(() => hs.close());

/** Matt's direct chat with Alice's ghost, made by Matt (the bot is not in it), which Matt left. */
function chatMattLeft(key: PortalKey): string {
  const roomId = hs.createRoom(MATT, { invite: [ghost] });
  hs.join(roomId, ghost);
  hs.leave(roomId, MATT);
  rooms.set(key, roomId);
  return roomId;
}

describe('BridgeContext.invite', () => {
  it('in a room the bot is not in: refused to the bot; the ghost invites with `as`', async () => {
    const roomId = chatMattLeft(CHAT);
    await expect(ctx.invite(CHAT, MATT)).rejects.toMatchObject({ errcode: 'M_FORBIDDEN' });
    expect(hs.membership(roomId, MATT)).toBe('leave');
    await ctx.invite(CHAT, MATT, { as: ALICE });
    expect(hs.membership(roomId, MATT)).toBe('invite');
    const invite = hs.events(roomId).at(-1);
    expect(invite).toMatchObject({ type: 'm.room.member', sender: ghost, state_key: MATT });
  });

  it('sends nothing to a user who is in the room or invited already', async () => {
    const before = invites();
    await ctx.invite(CHAT, MATT, { as: ALICE }); // invited by the test before
    const roomId = rooms.get(CHAT)!;
    hs.join(roomId, MATT);
    await ctx.invite(CHAT, MATT, { as: ALICE });
    expect(invites()).toBe(before);
    expect(hs.membership(roomId, MATT)).toBe('join');
  });

  it('a ghost that is not in the room cannot invite: M_FORBIDDEN', async () => {
    const key = portalKey('dm/alice/matt-2');
    const roomId = chatMattLeft(key);
    hs.leave(roomId, ghost);
    await expect(ctx.invite(key, MATT, { as: ALICE })).rejects.toMatchObject({
      errcode: 'M_FORBIDDEN',
    });
    expect(hs.membership(roomId, MATT)).toBe('leave');
  });

  it('the bot invites to a room it is in', async () => {
    const key = portalKey('net/#room');
    const roomId = hs.createRoom(hs.senderUserId, {});
    hs.invite(roomId, hs.senderUserId, MATT);
    hs.join(roomId, MATT);
    hs.leave(roomId, MATT);
    rooms.set(key, roomId);
    await ctx.invite(key, MATT);
    expect(hs.events(roomId).at(-1)).toMatchObject({ sender: hs.senderUserId, state_key: MATT });
    expect(hs.membership(roomId, MATT)).toBe('invite');
  });
});
