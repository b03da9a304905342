/** The echo network's names: its one user, its message ids, its portal names and direct chats. */
import { portalKey, remoteMessageId, remoteUserId } from '../../src/connector.js';

export const ECHO_USER = remoteUserId('echo');

/** The id the network gives a Matrix message, and the id of its echo. */
export const ids = {
  sent: (eventId: string) => remoteMessageId(`m:${eventId}`),
  echoOf: (remoteId: string) => remoteMessageId(`echo:${remoteId}`),
};

/** A portal's name, as an alias `#echo_<name>` gives it. */
export const PORTAL_NAME = /^[a-z0-9.-]{1,64}$/;

/**
 * A Matrix user's direct chat with the echo user (a room they made and invited its ghost to): one
 * per user. No alias names it (a portal name has no `/` or `@`).
 */
export const directChat = (user: string) => portalKey(`dm/${user}`);
export const MATRIX_USER = /^@[^:\s]+:\S+$/;
