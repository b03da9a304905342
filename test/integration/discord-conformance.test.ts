// The Discord bridge runs the connector conformance kit (test/conformance/) through real Synapse,
// against the fake Discord: each portal is a new channel joined by its alias
// `#discord_<channel id>`, the probe reads what the channel's webhook and the bot did there, a
// Discord user speaks through the fake's gateway, and AutoMod refuses a blocked word.
import { afterAll } from 'vitest';
import { DiscordConnector } from '../../bridges/discord/index.js';
import { joinAlias } from '../support/bridge-harness.js';
import { startDiscordBridge } from '../support/discord-bridge.js';
import { FakeDiscord } from '../support/fake-discord/index.js';
import { testRegistration } from '../support/synapse.js';
import { runConnectorConformance } from '../conformance/connector-conformance.js';

const REFUSE = 'BLOCKED-BY-AUTOMOD';
let fake: FakeDiscord | undefined;
const started = async () => {
  if (!fake) {
    fake = await FakeDiscord.start();
    fake.rest.blockedWords.push(REFUSE);
  }
  return fake;
};
const channels = new Map<string, string>();
const channelOf = (roomId: string) => {
  const id = channels.get(roomId);
  if (!id) throw new Error(`${roomId} is not a portal this test opened`);
  return id;
};

afterAll(async () => {
  await fake?.close();
});

runConnectorConformance({
  name: 'discord (fake Discord)',
  start: async ({ database }) =>
    (
      await startDiscordBridge(await started(), {}, new DiscordConnector(), {
        database,
        // Matrix users' avatars reach the webhook as public links.
        publicLinks: { url: `${testRegistration().url.replace(/\/$/, '')}/` },
      })
    ).bridge,
  openPortal: async (user) => {
    const f = await started();
    const channelId = f.state.addChannel(`conformance-${channels.size}`);
    // The bot learns of the new channel as Discord tells it (CHANNEL_CREATE).
    f.gateway.dispatch('CHANNEL_CREATE', f.state.apiChannel(channelId));
    await new Promise((r) => setTimeout(r, 100));
    const roomId = await joinAlias(user, `#discord_${channelId}:localhost`);
    channels.set(roomId, channelId);
    return roomId;
  },
  network: {
    received: async (roomId) => [...((await started()).rest.received.get(channelOf(roomId)) ?? [])],
    say: async (roomId, text) => {
      const f = await started();
      const speaker = [...f.state.members.values()][0] ?? f.state.addMember('dana', 'Dana');
      f.say(speaker, channelOf(roomId), text);
    },
  },
  capabilities: {
    edits: true,
    redactions: true,
    reactions: true,
    replies: true,
    threads: true,
    avatars: true,
  },
  refuse: REFUSE,
  skip: [
    { tests: ['calls'], reason: 'Discord bots and webhooks cannot place or take calls' },
    {
      tests: ['direct-chat-rejoin'],
      reason: 'the Discord bridge bridges guild channels only: DM channels are dropped',
    },
  ],
});
