/** The IRC bridge: configured IRC networks, puppeted both ways. See README.md. */
export { IrcConnector } from './connector.js';
export { ircConfigSchema, type IrcConfig, type IrcNetworkConfig } from './config.js';
export { ircPoolCommand } from './pool/command.js';
