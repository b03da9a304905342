// What one describe block of XMPP integration tests brings up: its bridge(s) and XMPP users,
// stopped after all its tests (one afterAll, whatever failed: users first, then bridges), and the
// set-ups they repeat: a Matrix user, a Matrix user entering a MUC's room through its alias, a
// direct chat an XMPP user opened with a Matrix user.
import { afterAll } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, joinAlias, roomEvents } from './bridge-harness.js';
import { registerUser, uniqueLocalpart, waitFor, type TestUser } from './synapse.js';
import { inRoom, MUC_HOST, startXmppBridge, xmppUser, type XmppUser } from './xmpp-user.js';

export interface XmppScope {
  /** Starts an XMPP bridge (startXmppBridge's arguments), stopped after all tests. */
  bridge(...args: Parameters<typeof startXmppBridge>): Promise<Switchboard>;
  /** An XMPP user of the test Prosody (xmppUser's arguments), stopped after all tests. */
  user(...args: Parameters<typeof xmppUser>): Promise<XmppUser>;
}

/** Call in a describe block: what it brings up through the scope goes when its tests are done. */
export function xmppScope(): XmppScope {
  const users: XmppUser[] = [];
  const bridges: Switchboard[] = [];
  afterAll(async () => {
    for (const u of users.splice(0)) await u.stop();
    for (const b of bridges.splice(0)) await b.stop();
  });
  return {
    async bridge(...args) {
      const bridge = await startXmppBridge(...args);
      // A test may stop it (a restart): the scope's stop after all tests is then a no-op.
      const stop = bridge.stop.bind(bridge);
      let stopped: Promise<void> | undefined;
      bridge.stop = () => (stopped ??= stop());
      bridges.push(bridge);
      return bridge;
    },
    async user(...args) {
      const user = await xmppUser(...args);
      users.push(user);
      return user;
    },
  };
}

/** A new Matrix user (`matt` → `@matt-…:localhost`), named `displayname` (their MUC nick). */
export const matrixUser = (name: string, displayname?: string): Promise<TestUser> =>
  registerUser(uniqueLocalpart(name), undefined, displayname ? { displayname } : undefined);

/** The alias of a MUC's portal: `talk@conference.localhost` → `#xmpp_talk=40conference.localhost:localhost`. */
export const mucAlias = (room: string) => `#xmpp_${room.replace('@', '=40')}:localhost`;

/** A MUC address on the test server's MUC service. */
export const mucOf = (name: string) => `${name}@${MUC_HOST}`;

/**
 * `user` joins the portal of MUC `room` through its alias, and `watcher` (an occupant) sees them
 * enter the MUC as `nick`; the Matrix room's id.
 */
export async function enterMuc(
  user: TestUser,
  room: string,
  nick: string,
  watcher: XmppUser,
): Promise<string> {
  const roomId = await joinAlias(user, mucAlias(room));
  await watcher.expect((el) => inRoom(el, `${room}/${nick}`), `${nick} in the MUC`);
  return roomId;
}

/** Joins `room` as soon as `user` is invited (a user who is not in a room cannot read its state). */
export const joinWhenInvited = (user: TestUser, room: string) =>
  waitFor(
    () =>
      asUser(user, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(room)}`, {}).then(
        () => true,
        () => false,
      ),
    20_000,
    `${user.userId} invited to ${room}`,
  );

/**
 * The direct chat of XMPP address `contact` (bare, `alice@localhost`) with Matrix user `user`, as
 * the bridge made it when the contact wrote first: waits for its room, and joins `user` once
 * invited; the room's id.
 */
export async function joinDmRoom(
  connector: XmppConnector,
  contact: string,
  user: TestUser,
): Promise<string> {
  const room = await waitFor(
    () => connector.roomOf(XmppConnector.dmPortal(contact, user.userId)),
    20_000,
    'the DM room',
  );
  await joinWhenInvited(user, room);
  return room;
}

/** Waits until `user` reads in `roomId` a member event making `member` `membership`; that event. */
export const memberIn = (
  user: TestUser,
  roomId: string,
  member: string,
  membership: 'join' | 'leave' | 'invite' | 'ban',
  what: string,
) =>
  waitFor(
    async () =>
      (await roomEvents(user, roomId)).find(
        (e) =>
          e.type === 'm.room.member' &&
          e.state_key === member &&
          e.content.membership === membership,
      ),
    20_000,
    what,
  );

/** Waits until `user` reads in `roomId` the message `body` from `sender`; that event. */
export const said = (user: TestUser, roomId: string, sender: string, body: string) =>
  waitFor(
    async () =>
      (await roomEvents(user, roomId)).find((e) => e.sender === sender && e.content.body === body),
    20_000,
    `"${body}" from ${sender}`,
  );
