/** The echo network in the homeserver's third-party lookups: its one user and its portal names. */
import type {
  BridgeContext,
  ThirdPartyLocation,
  ThirdPartyProtocol,
  ThirdPartyUser,
} from '../../src/connector.js';
import { ECHO_USER, PORTAL_NAME } from './names.js';

/** Which echo network (a second instance has another id and name). */
interface EchoNetwork {
  readonly id: string;
  readonly displayName: string;
}

export function echoProtocol(net: EchoNetwork): ThirdPartyProtocol {
  return {
    user_fields: ['user'],
    location_fields: ['key'],
    icon: '',
    field_types: {
      user: { regexp: '^echo$', placeholder: 'echo' },
      key: { regexp: PORTAL_NAME.source, placeholder: 'lobby' },
    },
    instances: [{ desc: net.displayName, network_id: net.id, fields: {} }],
  };
}

export function echoLocations(
  net: EchoNetwork,
  ctx: BridgeContext<unknown>,
  fields: Record<string, string>,
): ThirdPartyLocation[] {
  const key = fields.key;
  if (!key || !PORTAL_NAME.test(key)) return [];
  return [{ alias: ctx.portalAlias(key), protocol: net.id, fields: { key } }];
}

export function echoUsers(
  net: EchoNetwork,
  ctx: BridgeContext<unknown>,
  fields: Record<string, string>,
): ThirdPartyUser[] {
  if (fields.user !== ECHO_USER) return [];
  return [{ userid: ctx.ghostUserId(ECHO_USER), protocol: net.id, fields: { user: ECHO_USER } }];
}
