/** The Discord bridge: guild channels ↔ Matrix rooms through a bot and channel webhooks. See README.md. */
export { DiscordConnector } from './connector.js';
export { discordConfigSchema, type DiscordConfig } from './config.js';
