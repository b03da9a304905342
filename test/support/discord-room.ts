// What a describe block of Discord integration tests brings up: a fake Discord with one channel,
// the Discord bridge on it and alice (a Matrix user) in the channel's room; the bridge stopped and
// the fake closed after all its tests.
import type { APIMessage } from 'discord-api-types/v10';
import { afterAll, beforeAll } from 'vitest';
import type { DiscordConnector } from '../../bridges/discord/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { joinAlias, roomEvents, type RoomEvent } from './bridge-harness.js';
import { startDiscordBridge } from './discord-bridge.js';
import { FakeDiscord } from './fake-discord/index.js';
import { registerUser, requireSynapse, uniqueLocalpart, waitFor, type TestUser } from './synapse.js';

export interface DiscordRoomOptions {
  /** The channel's name and topic. */
  channel: string;
  topic?: string;
  /** Adds what the fake Discord has before the bridge starts (members, roles). */
  setUp?(fake: FakeDiscord): void;
  /** The rest of startDiscordBridge's arguments: the bridge's config and the harness options. */
  config?: Parameters<typeof startDiscordBridge>[1];
  options?: Parameters<typeof startDiscordBridge>[3];
}

/** Set in beforeAll: read its fields inside tests and hooks only. */
export interface DiscordRoom {
  fake: FakeDiscord;
  bridge: Switchboard;
  connector: DiscordConnector;
  alice: TestUser;
  channelId: string;
  /** The channel's room, alice joined. */
  roomId: string;
  /** The first event in the room that matches (waiting up to 20 s for it). */
  inRoom(predicate: (e: RoomEvent) => boolean, what: string): Promise<RoomEvent>;
  /** The first message sent through the channel's webhook whose content matches (up to 20 s). */
  onDiscord(predicate: (content: string) => boolean, what: string): Promise<APIMessage>;
}

/** Call in a describe block. */
export function discordRoom(opts: DiscordRoomOptions): DiscordRoom {
  const room = {
    inRoom: (predicate: (e: RoomEvent) => boolean, what: string) =>
      waitFor(
        async () => (await roomEvents(room.alice, room.roomId)).find(predicate),
        20_000,
        what,
      ),
    onDiscord: (predicate: (content: string) => boolean, what: string) =>
      waitFor(
        () =>
          room.fake.messages(room.channelId).find((m) => m.webhook_id && predicate(m.content)),
        20_000,
        what,
      ),
  } as DiscordRoom;
  beforeAll(async () => {
    requireSynapse();
    room.fake = await FakeDiscord.start();
    room.channelId = room.fake.state.addChannel(opts.channel, opts.topic);
    opts.setUp?.(room.fake);
    ({ bridge: room.bridge, connector: room.connector } = await startDiscordBridge(
      room.fake,
      opts.config,
      undefined,
      opts.options,
    ));
    room.alice = await registerUser(uniqueLocalpart('alice'));
    room.roomId = await joinAlias(room.alice, `#discord_${room.channelId}:localhost`);
  });
  afterAll(async () => {
    await room.bridge?.stop();
    await room.fake?.close();
  });
  return room;
}
