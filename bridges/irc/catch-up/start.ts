/** Catch-up for one network: its marks loaded from the kv, hooked into the bot and the listener. */
import type { Logger } from 'pino';
import type { KeyValueStore } from '../../../src/connector.js';
import type { IrcNetwork } from '../connection/client.js';
import type { IrcListener } from '../from-irc/from-irc.js';
import { CatchUp, type CatchUpDeps } from './catch-up.js';
import { ChannelMarks } from './marks.js';

export type { CatchUp } from './catch-up.js';

export async function startCatchUp(
  network: IrcNetwork,
  listener: IrcListener,
  deps: {
    kv: KeyValueStore;
    log: Logger;
    hasPortal(channel: string): boolean;
    metrics?: Pick<CatchUpDeps, 'onReplayed' | 'onAwayNotice'>;
  },
): Promise<CatchUp> {
  const marks = new ChannelMarks(deps.kv, network.id, (err) =>
    deps.log.warn({ err, irc: network.id }, 'catch-up marks not stored'),
  );
  await marks.load();
  const catchUp = new CatchUp(network, marks, network.config.catch_up, {
    hasPortal: deps.hasPortal,
    say: (channel, text) => listener.say(channel, text),
    spoke: (channel, nicks) => listener.leaveIfGone(channel, nicks),
    log: deps.log,
    ...deps.metrics,
  });
  listener.catchUp = catchUp;
  catchUp.listen();
  return catchUp;
}
