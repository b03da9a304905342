/** The connectors this build ships. Only entry points import this; core never does. */
import { DiscordConnector } from '../bridges/discord/index.js';
import { EchoConnector } from '../bridges/echo/index.js';
import { EmailConnector } from '../bridges/email/index.js';
import { IrcConnector } from '../bridges/irc/index.js';
import { XmppConnector } from '../bridges/xmpp/index.js';
import { SipConnector } from '../bridges/sip/index.js';
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
