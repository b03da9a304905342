// Portals in a Matrix space (PortalInfo `space` and `parent`), through real Synapse with the echo
// connector: the space is a real `m.space` room, the portal is its child (`m.space.child` in the
// space, `m.space.parent` in the room) as a Matrix client sees them, and a second room joins it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoConnector } from '../../bridges/echo/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, startBridge } from '../support/bridge-harness.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  type TestUser,
} from '../support/synapse.js';

interface StateEvent {
  type: string;
  state_key: string;
  content: Record<string, unknown>;
}

describe('portals in a space (echo + Synapse)', () => {
  let bridge: Switchboard;
  let alice: TestUser;
  const echo = new EchoConnector();

  beforeAll(async () => {
    requireSynapse();
    bridge = await startBridge({ connectors: [echo] });
    alice = await registerUser(uniqueLocalpart('alice'));
  });

  afterAll(async () => {
    await bridge?.stop();
  });

  const state = (roomId: string) =>
    asUser<StateEvent[]>(
      alice,
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`,
    );

  it('makes the space a Matrix space with each portal as its child, and the space their parent', async () => {
    const space = uniqueLocalpart('grp').replace('_', '-');
    const one = await echo.openInSpace(space, uniqueLocalpart('one').replace('_', '-'));
    const two = await echo.openInSpace(space, uniqueLocalpart('two').replace('_', '-'));
    expect(two.spaceId).toBe(one.spaceId);
    await asUser(alice, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(one.spaceId)}`, {});
    const spaceState = await state(one.spaceId);
    const create = spaceState.find((e) => e.type === 'm.room.create');
    expect(create?.content.type).toBe('m.space');
    const children = spaceState
      .filter((e) => e.type === 'm.space.child')
      .map((e) => [e.state_key, e.content.via]);
    expect(children.sort()).toEqual(
      [
        [one.roomId, ['localhost']],
        [two.roomId, ['localhost']],
      ].sort(),
    );
    await asUser(alice, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(one.roomId)}`, {});
    const parent = (await state(one.roomId)).find((e) => e.type === 'm.space.parent');
    expect(parent).toMatchObject({
      state_key: one.spaceId,
      content: { via: ['localhost'], canonical: true },
    });
    // The hierarchy a client shows: the space and its rooms.
    const hierarchy = await asUser<{ rooms: { room_id: string }[] }>(
      alice,
      'GET',
      `/_matrix/client/v1/rooms/${encodeURIComponent(one.spaceId)}/hierarchy`,
    );
    expect(hierarchy.rooms.map((r) => r.room_id).sort()).toEqual(
      [one.spaceId, one.roomId, two.roomId].sort(),
    );
  });
});
