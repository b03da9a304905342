/** The appservice registration file the homeserver loads. */
import { stringify } from 'yaml';
import type { Config } from '../config/schema.js';

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every enabled bridge's prefix, `<id>_` unless the config names another. */
export function enabledPrefixes(config: Config): { id: string; prefix: string }[] {
  return Object.entries(config.bridges)
    .filter(([, section]) => section.enabled)
    .map(([id, section]) => ({ id, prefix: section.prefix ?? `${id}_` }));
}

export function buildRegistration(config: Config): Record<string, unknown> {
  const domain = escapeRegex(config.homeserver.domain);
  const bridges = enabledPrefixes(config);
  const namespace = (sigil: string) =>
    bridges.map(({ prefix }) => ({
      exclusive: true,
      regex: `${sigil}${escapeRegex(prefix)}.*:${domain}`,
    }));
  return {
    id: config.appservice.id,
    url: config.appservice.url,
    as_token: config.appservice.as_token,
    hs_token: config.appservice.hs_token,
    sender_localpart: config.appservice.bot.localpart,
    namespaces: {
      users: [
        { exclusive: true, regex: `@${escapeRegex(config.appservice.bot.localpart)}:${domain}` },
        ...namespace('@'),
      ],
      aliases: namespace('#'),
      rooms: [],
    },
    rate_limited: false,
    receive_ephemeral: true,
    'de.sorunome.msc2409.push_ephemeral': true,
    protocols: bridges.map((b) => b.id),
  };
}

export const registrationYaml = (config: Config) => stringify(buildRegistration(config));
