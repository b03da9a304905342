import { describe, expect, it } from 'vitest';
import type { MatrixUserId, PortalRecord } from '../../../src/connector.js';
import type { IrcNetwork } from '../connection/client.js';
import { ircCommands, type CommandDeps } from './commands.js';

/** The commands over `networks`, recording the channels `irc join` opens and the bot's replies. */
function setUp(networks: string[]) {
  const opened: string[] = [];
  const replies: string[] = [];
  const deps = {
    network: (id: string) =>
      networks.includes(id)
        ? ({ id, bot: { join: async () => undefined } } as unknown as IrcNetwork)
        : undefined,
    rememberChannelKey: async () => undefined,
    networkIds: () => networks,
    openChannel: async (network: string, channel: string) => {
      opened.push(`${network} ${channel}`);
      return { roomId: '!room:hs' } as PortalRecord;
    },
    channelAlias: (network: string, channel: string) => `#irc_${network}_${channel}:hs`,
  } as unknown as CommandDeps;
  const join = ircCommands(deps).find((c) => c.name === 'join')!;
  const run = (...args: string[]) =>
    join.run({
      sender: '@alice:hs' as MatrixUserId,
      args,
      isAdmin: false,
      reply: async (text: string) => void replies.push(text),
    });
  return { opened, replies, run };
}

describe('IRC commands with one network configured', () => {
  it('take the network as given, or put it in when it is left out', async () => {
    const { opened, run } = setUp(['libera']);
    await run('libera', '#rust');
    await run('#rust');
    await run('#Go');
    expect(opened).toEqual(['libera #rust', 'libera #rust', 'libera #Go']);
  });

  it('keep a first argument that is not a network when enough arguments came, and say so', async () => {
    const { opened, replies, run } = setUp(['libera']);
    await run('nowhere', '#x');
    await run('libera');
    await run('#rust', 'key');
    expect(opened).toEqual(['libera #rust']);
    expect(replies.slice(0, 2)).toEqual([
      'There is no IRC network `nowhere`. Networks: libera.',
      '`libera` is not a channel name (like #rust).',
    ]);
  });

  it('still ask for the network when there are several', async () => {
    const { opened, replies, run } = setUp(['libera', 'oftc']);
    await run('#rust');
    expect(opened).toEqual([]);
    expect(replies).toEqual(['Usage: `irc join <network> <#channel> [key]`']);
  });
});

describe('IRC commands on a network in relay mode', () => {
  it('refuse nick and reconnect (no connection of your own) without opening one', async () => {
    const replies: string[] = [];
    let puppets = 0;
    const relay = {
      id: 'libera',
      config: { mode: 'relay' },
      puppet: () => undefined,
      puppetFor: () => void puppets++,
    } as unknown as IrcNetwork;
    const commands = ircCommands({
      network: (id: string) => (id === 'libera' ? relay : undefined),
      networkIds: () => ['libera'],
    } as unknown as CommandDeps);
    for (const [name, args] of [
      ['nick', ['libera', 'alice']],
      ['reconnect', ['libera']],
    ] as const)
      await commands
        .find((c) => c.name === name)!
        .run({
          sender: '@alice:hs' as MatrixUserId,
          args: [...args],
          isAdmin: false,
          reply: async (text: string) => void replies.push(text),
        });
    expect(puppets).toBe(0);
    expect(replies).toEqual(
      Array(2).fill(
        "libera relays Matrix users through the bridge's bot: you have no IRC connection of your own there.",
      ),
    );
  });
});
