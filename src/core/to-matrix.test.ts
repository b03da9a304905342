// A remote user's presence on their ghost (against the fake homeserver): set as the ghost, with the
// status text or without it, and best effort: a refusal (presence turned off) is dropped, not retried.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { portalKey, remoteUserId, type RemoteEvent } from '../connector.js';
import type { KeyValue } from '../store/store.js';
import { captureLog } from '../../test/matrix/helpers.js';
import { FakeHomeserver } from '../../test/support/fake-homeserver.js';
import { ghostsInMemory } from '../../test/support/ghosts-in-memory.js';
import { BridgeRuntime } from './bridge-runtime.js';
import { RoomVoices } from './room-voices.js';
import { sendToMatrix, type ToMatrixDeps } from './to-matrix.js';

const ALICE = remoteUserId('net/alice');
const presence = (p: 'online' | 'unavailable' | 'offline', status?: string): RemoteEvent => ({
  kind: 'presence',
  portal: portalKey('net/#room'),
  sender: ALICE,
  presence: p,
  ...(status === undefined ? {} : { status }),
});

let hs: FakeHomeserver;
let deps: ToMatrixDeps;
let runtime: BridgeRuntime;
let logLines: Record<string, unknown>[];
let roomId: string;
let voices: RoomVoices;

beforeAll(async () => {
  hs = await FakeHomeserver.start();
  const { log, lines } = captureLog();
  logLines = lines;
  const { client, store, ghosts } = ghostsInMemory(hs, log, {
    maxAttempts: 3,
    baseDelayMs: 1,
    maxDelayMs: 2,
  });
  const kv = new Map<string, string>();
  const memoryKv: KeyValue = {
    get: async (ns, key) => kv.get(`${ns}/${key}`),
    set: async (ns, key, value) => void kv.set(`${ns}/${key}`, value),
    delete: async (ns, key) => void kv.delete(`${ns}/${key}`),
  };
  voices = new RoomVoices(memoryKv, client);
  deps = {
    store,
    client,
    ghosts,
    botUserId: hs.senderUserId,
    voices,
    log,
  };
  const connector = {
    id: 'net',
    displayName: 'Net',
    configSchema: z.unknown(),
    start: async () => undefined,
    stop: async () => undefined,
    handleMatrixMessage: async () => ({ remoteId: 'x' }),
  };
  runtime = new BridgeRuntime(connector as never, 'test_', {}, hs.serverName);
  roomId = hs.createRoom(hs.senderUserId);
});
afterAll(() => hs.close());

describe('sendToMatrix: presence', () => {
  it("sets the ghost's presence as the ghost: away with its status, then back without one", async () => {
    const ghost = runtime.ghostUserId(ALICE);
    await sendToMatrix(deps, runtime, roomId, presence('unavailable', 'lunch'), 't1');
    expect(hs.world.presence.get(ghost)).toEqual({ presence: 'unavailable', status_msg: 'lunch' });
    await sendToMatrix(deps, runtime, roomId, presence('online'), 't2');
    expect(hs.world.presence.get(ghost)).toEqual({ presence: 'online' });
    // Presence needs no room: the ghost was not made to join one.
    expect(hs.membership(roomId, ghost)).toBeUndefined();
  });

  it('drops a presence the homeserver refuses (presence turned off), once, without retrying', async () => {
    const ghost = runtime.ghostUserId(ALICE);
    const before = hs.countRequests('PUT', /\/presence\//);
    hs.failNext({
      path: '/presence/',
      status: 403,
      body: { errcode: 'M_FORBIDDEN', error: 'Presence is disabled on this server' },
    });
    await expect(
      sendToMatrix(deps, runtime, roomId, presence('offline'), 't3'),
    ).resolves.toBeUndefined();
    expect(hs.countRequests('PUT', /\/presence\//) - before).toBe(1);
    expect(hs.world.presence.get(ghost)).toEqual({ presence: 'online' });
    expect(logLines.find((l) => /presence: dropped/.test(String(l.msg)))).toMatchObject({
      level: 20, // debug
      userId: ghost,
    });
  });
});

describe('sendToMatrix: calls', () => {
  it('sends a remote call answer as the ghost, as m.call.answer with VoIP v1 fields', async () => {
    const ghost = runtime.ghostUserId(ALICE);
    const call: RemoteEvent = {
      kind: 'call',
      portal: portalKey('net/#room'),
      sender: ALICE,
      action: 'answer',
      callId: 'call-1',
      sdp: 'v=0\r\n',
    };
    await sendToMatrix(deps, runtime, roomId, call, 'c1');
    const sent = hs.events(roomId).find((e) => e.type === 'm.call.answer');
    expect(sent?.sender).toBe(ghost);
    expect(sent?.content).toEqual({
      call_id: 'call-1',
      party_id: 'switchboard',
      version: '1',
      answer: { type: 'answer', sdp: 'v=0\r\n' },
    });
  });
});

describe('sendToMatrix: bridge notices', () => {
  it("sends the text as an m.notice from the bridge bot, at the event's time, with no ghost made", async () => {
    const notice: RemoteEvent = {
      kind: 'bridge-notice',
      portal: portalKey('net/#room'),
      sender: remoteUserId('net/nobody'),
      text: 'the bridge was away from 10:00 to 10:05; what was said then is not available',
      timestamp: 1_700_000_000_000,
    };
    await sendToMatrix(deps, runtime, roomId, notice, 'n1');
    const sent = hs.events(roomId).find((e) => e.content['msgtype'] === 'm.notice');
    expect(sent?.sender).toBe(hs.senderUserId);
    expect(sent?.content).toEqual({ msgtype: 'm.notice', body: notice.text });
    expect(hs.membership(roomId, runtime.ghostUserId(remoteUserId('net/nobody')))).toBeUndefined();
  });

  it("goes as the room's voice where the bot is not in the room (a direct chat a user started with a ghost)", async () => {
    const ghost = runtime.ghostUserId(ALICE);
    const dm = hs.createRoom('@someone:' + hs.serverName, {
      invite: [ghost],
      preset: 'trusted_private_chat',
    });
    hs.join(dm, ghost);
    const notice = (n: string): RemoteEvent => ({
      kind: 'bridge-notice',
      portal: portalKey('net/alice'),
      sender: ALICE,
      text: `alice left the room: not delivered (${n})`,
    });
    // No voice yet: the bot's refusal stands, and nothing is posted.
    await expect(sendToMatrix(deps, runtime, dm, notice('1'), 'v1')).rejects.toThrow(/403/);
    await voices.remember(dm, ghost);
    await sendToMatrix(deps, runtime, dm, notice('2'), 'v2');
    const sent = hs.events(dm).filter((e) => e.content['msgtype'] === 'm.notice');
    expect(sent.map((e) => [e.sender, e.content['body']])).toEqual([
      [ghost, 'alice left the room: not delivered (2)'],
    ]);
  });
});

describe('sendToMatrix: bans', () => {
  it("bans a ghost not in the room, and an unban lifts it (the bot's doing, with who did it)", async () => {
    const bob = remoteUserId('net/bob');
    const ghost = runtime.ghostUserId(bob);
    const member = (membership: 'ban' | 'unban'): RemoteEvent => ({
      kind: 'membership',
      portal: portalKey('net/#room'),
      sender: bob,
      membership,
      actor: ALICE,
      reason: 'spam',
    });
    await sendToMatrix(deps, runtime, roomId, member('ban'), 'b1');
    expect(hs.membership(roomId, ghost)).toBe('ban');
    const ban = hs
      .events(roomId)
      .filter((e) => e.state_key === ghost)
      .at(-1);
    expect(ban?.sender).toBe(hs.senderUserId);
    expect(ban?.content['reason']).toBe('by net/alice on Net: spam');
    await sendToMatrix(deps, runtime, roomId, member('unban'), 'b2');
    expect(hs.membership(roomId, ghost)).toBe('leave');
  });
});
