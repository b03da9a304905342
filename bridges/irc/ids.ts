/**
 * IRC ids ↔ the connector's typed ids. Networks are config ids (`a-z 0-9 -`, no `_`), so
 * the first `_` of a remote user id and the first `/` of a portal key end the network id.
 * Nicks and channels compare case-insensitively on IRC, so both are lowercased here.
 */
import { randomUUID } from 'node:crypto';
import {
  portalKey,
  remoteMessageId,
  remoteUserId,
  type PortalKey,
  type RemoteMessageId,
  type RemoteUserId,
} from '../../src/connector.js';

const NETWORK = /^[a-z0-9-]{1,32}$/;
/** RFC 2812 channel names: `#` or `&`, no space, comma, BEL, NUL, CR or LF. */
const CHANNEL = /^[#&][^\s,\x07\x00]{1,63}$/;

export const isChannelName = (s: string): boolean => CHANNEL.test(s);

/** A channel on a network: `<network>/<lowercased #channel>`. Unique within the bridge. */
export function makePortalKey(network: string, channel: string): PortalKey {
  return portalKey(`${network}/${channel.toLowerCase()}`);
}

export function parsePortalKey(key: string): { network: string; channel: string } | undefined {
  const slash = key.indexOf('/');
  const network = key.slice(0, slash);
  const channel = key.slice(slash + 1);
  return slash > 0 && NETWORK.test(network) && isChannelName(channel)
    ? { network, channel }
    : undefined;
}

/** A nick on a network: `<network>_<lowercased nick>` (ghost `@irc_<network>_<nick>`). */
export function makeRemoteUser(network: string, nick: string): RemoteUserId {
  return remoteUserId(`${network}_${nick.toLowerCase()}`);
}

export function parseRemoteUser(id: string): { network: string; nick: string } | undefined {
  const sep = id.indexOf('_');
  const network = id.slice(0, sep);
  const nick = id.slice(sep + 1);
  return sep > 0 && NETWORK.test(network) && nick.length > 0 && !/[\s\x00]/.test(nick)
    ? { network, nick }
    : undefined;
}

/** The alias localpart after the bridge prefix: `<network>_#channel` (`#irc_libera_#rust:example.org`). */
export function aliasLocalpart(network: string, channel: string): string {
  return `${network}_${channel.toLowerCase()}`;
}

export function parseAliasLocalpart(
  local: string,
): { network: string; channel: string } | undefined {
  const sep = local.indexOf('_');
  const network = local.slice(0, sep);
  const channel = local.slice(sep + 1).toLowerCase();
  return sep > 0 && NETWORK.test(network) && isChannelName(channel)
    ? { network, channel }
    : undefined;
}

/**
 * A private conversation between a Matrix user's puppet and an IRC nick:
 * `<network>/pm/<lowercased nick>/<owner's Matrix user id>`. Nicks have no `/`, so the first
 * `/` after the nick starts the owner. Never a channel key (those start `<network>/#`).
 */
export function makePmKey(network: string, nick: string, owner: string): PortalKey {
  return portalKey(`${network}/pm/${nick.toLowerCase()}/${owner}`);
}

export function parsePmKey(
  key: string,
): { network: string; nick: string; owner: string } | undefined {
  const m = /^([a-z0-9-]{1,32})\/pm\/([^/\s\x00]+)\/(@[^\s]+:[^\s]+)$/.exec(key);
  return m ? { network: m[1]!, nick: m[2]!, owner: m[3]! } : undefined;
}

const MSGID = 'msgid:';

/** A message IRC gave a msgid (IRCv3 message-tags): `msgid:<id>`, what replies to it point at. */
export const msgidRemoteId = (msgid: string): RemoteMessageId =>
  remoteMessageId(`${MSGID}${msgid}`);

/** The msgid in a remote message id, if it has one (messages from Matrix, `m:…`, have none). */
export const msgidOf = (id: string): string | undefined =>
  id.startsWith(MSGID) ? id.slice(MSGID.length) : undefined;

/** The remote id of a message heard on IRC: its msgid, or a fresh id where the server gives none. */
export function heardMessageId(tags: Record<string, string> | undefined): RemoteMessageId {
  return tags?.msgid ? msgidRemoteId(tags.msgid) : remoteMessageId(`irc:${randomUUID()}`);
}
