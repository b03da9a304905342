/**
 * The IRC bridge's answers to the Matrix third-party lookups (`/thirdparty/protocol/irc`,
 * `/location`, `/user`): which networks it has, and the alias or ghost of a channel or nick.
 */
import type {
  BridgeContext,
  ThirdPartyLocation,
  ThirdPartyProtocol,
  ThirdPartyUser,
} from '../../src/connector.js';
import { NICK } from './commands/commands.js';
import { aliasLocalpart, isChannelName, makeRemoteUser } from './ids.js';

/** What the answers need of the running bridge: its context's names, its networks' ids. */
export interface ThirdPartyDeps {
  ctx: Pick<BridgeContext<unknown>, 'ghostUserId' | 'portalAlias'>;
  networks: string[];
}

export function ircThirdPartyProtocol(networks: string[]): ThirdPartyProtocol {
  return {
    user_fields: ['network', 'nickname'],
    location_fields: ['network', 'channel'],
    icon: '',
    field_types: {
      network: { regexp: '[a-z0-9-]{1,32}', placeholder: 'libera' },
      nickname: { regexp: NICK.source, placeholder: 'alice' },
      channel: { regexp: '[#&][^\\s,]{1,63}', placeholder: '#channel' },
    },
    instances: networks.map((id) => ({ desc: id, network_id: id, fields: { network: id } })),
  };
}

/** A channel's alias on a configured network (none for an unknown network or a bad name). */
export function ircThirdPartyLocations(
  d: ThirdPartyDeps,
  { network, channel }: Record<string, string>,
): ThirdPartyLocation[] {
  if (!network || !channel || !d.networks.includes(network) || !isChannelName(channel)) return [];
  return [
    {
      alias: d.ctx.portalAlias(aliasLocalpart(network, channel)),
      protocol: 'irc',
      fields: { network, channel: channel.toLowerCase() },
    },
  ];
}

/** A nick's ghost on a configured network (none for an unknown network or a bad nick). */
export function ircThirdPartyUsers(
  d: ThirdPartyDeps,
  { network, nickname }: Record<string, string>,
): ThirdPartyUser[] {
  if (!network || !nickname || !d.networks.includes(network) || !NICK.test(nickname)) return [];
  return [
    {
      userid: d.ctx.ghostUserId(makeRemoteUser(network, nickname)),
      protocol: 'irc',
      fields: { network, nickname },
    },
  ];
}
