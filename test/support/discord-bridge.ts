// Starts Switchboard with the Discord connector against a fake Discord (test/support/fake-discord).
import { DiscordConnector } from '../../bridges/discord/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { startBridge, type HarnessOptions } from './bridge-harness.js';
import type { FakeDiscord } from './fake-discord/index.js';
import { waitFor } from './synapse.js';

export async function startDiscordBridge(
  fake: FakeDiscord,
  config: Record<string, unknown> = {},
  connector = new DiscordConnector(),
  options: Omit<HarnessOptions, 'connectors' | 'bridges'> = {},
): Promise<{ bridge: Switchboard; connector: DiscordConnector }> {
  const bridge = await startBridge({
    ...options,
    connectors: [connector],
    bridges: {
      discord: {
        enabled: true,
        token: fake.token,
        api_url: fake.apiUrl,
        cdn_url: fake.cdnUrl,
        dynamic_aliases: true,
        ...config,
      },
    },
  });
  await waitFor(
    () => connector.connection?.state === 'ready' || undefined,
    20_000,
    'the bot on the fake Discord',
  );
  return { bridge, connector };
}
