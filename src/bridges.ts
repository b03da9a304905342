/** The connectors this build ships. Only entry points import this; core never does. */
import { DiscordConnector } from '../bridges/discord/index.js';
import { EchoConnector } from '../bridges/echo/index.js';
import { EmailConnector } from '../bridges/email/index.js';
import { IrcConnector, ircPoolCommand } from '../bridges/irc/index.js';
import { XmppConnector } from '../bridges/xmpp/index.js';
import { SipConnector } from '../bridges/sip/index.js';
import type { Logger } from 'pino';
import type { AnyConnector } from './core/bridge-runtime.js';

export function availableConnectors(): AnyConnector[] {
  return [
    new EchoConnector() as AnyConnector,
    new IrcConnector() as AnyConnector,
    new DiscordConnector() as AnyConnector,
    new EmailConnector() as AnyConnector,
    new SipConnector() as AnyConnector,
    new XmppConnector() as AnyConnector,
  ];
}

/**
 * A command a bridge adds to `switchboard` (a process of its own, such as the IRC connection
 * pool). It gets its bridge's config section (`bridges.<bridge>`, as written) and returns how to stop.
 */
export interface BridgeSubcommand {
  name: string;
  bridge: string;
  description: string;
  run(section: Record<string, unknown> | undefined, log: Logger): Promise<() => Promise<void>>;
}

export function bridgeSubcommands(): BridgeSubcommand[] {
  return [ircPoolCommand];
}
