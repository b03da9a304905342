// What one describe block of XMPP integration tests brings up: its bridge(s) and XMPP users,
// stopped after all its tests (one afterAll, whatever failed: users first, then bridges), and the
// set-ups they repeat: a Matrix user, a Matrix user entering a MUC's room through its alias, a
// direct chat an XMPP user opened with a Matrix user, a MUC portal whose bridge a test restarts.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, joinAlias, roomEvents } from './bridge-harness.js';
import { BOT, command as botCommand, openManagementRoom } from './management-room.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from './synapse.js';
import {
  ghostOf,
  inRoom,
  joinMuc,
  matrixJid,
  MUC_HOST,
  startXmppBridge,
  xmppUser,
  type XmppUser,
} from './xmpp-user.js';

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

/** A private room of `user`'s with the bridge bot invited, as an admin prepares one to link. */
export const roomForLink = async (user: TestUser, name: string) =>
  (
    await asUser<{ room_id: string }>(user, 'POST', '/_matrix/client/v3/createRoom', {
      preset: 'private_chat',
      name,
      invite: [BOT],
    })
  ).room_id;

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

/** A MUC portal whose bridge a test stops and starts again (restartablePortal). */
export interface RestartablePortal {
  /** The MUC (`<tag><hex>@conference.localhost`), Carol's ghost in it, Matt's nick there. */
  readonly room: string;
  readonly carolGhost: string;
  readonly mattNick: string;
  /** Set by the block's first beforeAll: Carol in the MUC, Matt in its portal's Matrix room. */
  carol: XmppUser;
  matt: TestUser;
  roomId: string;
  /** Stops the bridge; startBridge starts it again on the same store (a file). */
  stopBridge(): Promise<void>;
  startBridge(): Promise<void>;
}

/**
 * Call in a describe block (before its own beforeAll): Carol joins a fresh MUC as `Carol`, a
 * bridge starts on a database file of its own, and Matt (named `Matt <hex>`) enters the MUC's
 * portal through its alias; all stopped after the block's tests (xmppScope).
 */
export function restartablePortal(tag: string): RestartablePortal {
  const suffix = randomBytes(4).toString('hex');
  const room = `${tag}${suffix}@${MUC_HOST}`;
  const database = join(mkdtempSync(join(tmpdir(), `sb-${tag}-`)), 'switchboard.db');
  const connector = new XmppConnector();
  const scope = xmppScope();
  let bridge: Switchboard | undefined;
  const portal: RestartablePortal = {
    room,
    carolGhost: ghostOf(`${room}/Carol`),
    mattNick: `Matt ${suffix}`,
    carol: undefined as unknown as XmppUser,
    matt: undefined as unknown as TestUser,
    roomId: '',
    async stopBridge() {
      await bridge?.stop();
    },
    async startBridge() {
      bridge = await scope.bridge(connector, {}, { database });
    },
  };
  beforeAll(async () => {
    requireSynapse();
    portal.carol = await scope.user('carol', tag);
    await joinMuc(portal.carol, room, 'Carol');
    await portal.startBridge();
    portal.matt = await matrixUser('matt', portal.mattNick);
    portal.roomId = await enterMuc(portal.matt, room, portal.mattNick, portal.carol);
  });
  return portal;
}

/** Alice and Bob on XMPP, Matt on Matrix, and a bridge: the parties of the direct-chat tests. */
export interface DmParties {
  readonly connector: XmppConnector;
  /** Set by the block's first beforeAll. */
  alice: XmppUser;
  bob: XmppUser;
  matt: TestUser;
  /** Matt's address on the component. */
  mattJid: string;
  /** The message `body` from `ghost` in Matt's `room`, once it is there. */
  fromGhost(room: string, ghost: string, body: string): ReturnType<typeof said>;
}

/**
 * Call in a describe block (before its own beforeAll): Alice and Bob log in (resource `tag`), a
 * bridge starts with public links at `publicUrl`, and Matt is made; stopped after its tests.
 */
export function dmParties(tag: string, publicUrl: string): DmParties {
  const scope = xmppScope();
  const parties: DmParties = {
    connector: new XmppConnector(),
    alice: undefined as unknown as XmppUser,
    bob: undefined as unknown as XmppUser,
    matt: undefined as unknown as TestUser,
    mattJid: '',
    fromGhost: (room, ghost, body) => said(parties.matt, room, ghost, body),
  };
  beforeAll(async () => {
    requireSynapse();
    [parties.alice, parties.bob] = await Promise.all([
      scope.user('alice', tag),
      scope.user('bob', tag),
    ]);
    await scope.bridge(parties.connector, {}, { publicLinks: { url: publicUrl } });
    parties.matt = await matrixUser('matt');
    parties.mattJid = matrixJid(parties.matt.userId);
  });
  return parties;
}

/** Nia on Matrix with her management room (where bot commands go), Carol on XMPP, a bridge. */
export interface CommandParties {
  /** Set by the block's first beforeAll. */
  nia: TestUser;
  carol: XmppUser;
  management: string;
  /** Nia's bot command in her management room; the bot's answer. */
  command(text: string): Promise<string>;
}

/**
 * Call in a describe block (before its own beforeAll): Carol logs in (resource `tag`) and does
 * `before` (entering a MUC, say), a bridge starts with `config`, and Nia (named `nick`) opens
 * her management room; stopped after its tests.
 */
export function commandParties(
  tag: string,
  nick: string,
  opts: {
    connector?: XmppConnector;
    config?: Record<string, unknown>;
    before?: (carol: XmppUser) => Promise<unknown>;
  } = {},
): CommandParties {
  const scope = xmppScope();
  const parties: CommandParties = {
    nia: undefined as unknown as TestUser,
    carol: undefined as unknown as XmppUser,
    management: '',
    command: async (text) => (await botCommand(parties.nia, parties.management, text)).answer,
  };
  beforeAll(async () => {
    requireSynapse();
    parties.carol = await scope.user('carol', tag);
    await opts.before?.(parties.carol);
    await scope.bridge(opts.connector ?? new XmppConnector(), opts.config ?? {});
    parties.nia = await matrixUser('nia', nick);
    parties.management = await openManagementRoom(parties.nia);
  });
  return parties;
}
