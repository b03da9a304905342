// What one describe block of IRC integration tests brings up: its bridge(s) and plain IRC users,
// stopped and quit after all its tests (one afterAll, whatever failed), and the room of a channel
// of network `test` for a Matrix user.
import { afterAll } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { joinAlias } from './bridge-harness.js';
import { defaultPuppetNick, ircUser, startIrcBridge, type IrcUser } from './irc-user.js';
import { registerUser, requireSynapse, uniqueLocalpart, type TestUser } from './synapse.js';

export interface IrcScope {
  /** Starts an IRC bridge (startIrcBridge's arguments), stopped after all tests. */
  bridge(...args: Parameters<typeof startIrcBridge>): Promise<Switchboard>;
  /** A plain IRC user in `channel` (ircUser's arguments), quit after all tests. */
  user(...args: Parameters<typeof ircUser>): Promise<IrcUser>;
  /**
   * Starts a bridge (startIrcBridge's arguments after `name`) and registers a Matrix user (`name`
   * and a unique suffix): the user and the nick their puppet gets.
   */
  bridgeAndMatrixUser(
    name: string,
    ...bridgeArgs: Parameters<typeof startIrcBridge>
  ): Promise<{ user: TestUser; puppetNick: string }>;
}

/** Call in a describe block: what it brings up through the scope goes when its tests are done. */
export function ircScope(): IrcScope {
  const users: IrcUser[] = [];
  const bridges: Switchboard[] = [];
  afterAll(async () => {
    for (const u of users.splice(0)) u.client.quit('bye');
    for (const b of bridges.splice(0)) await b.stop();
  });
  return {
    async bridge(...args) {
      const bridge = await startIrcBridge(...args);
      bridges.push(bridge);
      return bridge;
    },
    async user(...args) {
      const user = await ircUser(...args);
      users.push(user);
      return user;
    },
    async bridgeAndMatrixUser(name, ...bridgeArgs) {
      requireSynapse();
      await this.bridge(...bridgeArgs);
      const user = await registerUser(uniqueLocalpart(name));
      return { user, puppetNick: defaultPuppetNick(user.userId) };
    },
  };
}

/** The alias of a channel's room on a network (`test` unless named). */
export const channelAlias = (channel: string, network = 'test') =>
  `#irc_${network}_${channel}:localhost`;

/** `user` joins the room of `channel` (the bridge makes it if need be); its id. */
export const joinChannelRoom = (
  user: Pick<TestUser, 'accessToken'>,
  channel: string,
  network = 'test',
) => joinAlias(user, channelAlias(channel, network));
