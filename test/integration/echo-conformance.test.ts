// The echo bridge runs the connector conformance kit (test/conformance/) through real Synapse.
// Echo's "network" is the connector itself: `echo.heard(portal)` is what it got from Matrix, and
// the echo user speaks first through the admin bot command `echo say <portal> <text>`, typed in a
// management room (in a user's direct chat with it: `echo say @user:server <text>`). The same EchoConnector object serves every start, so what the network heard
// outlives a restart of the bridge, as a real network's history would.
import { directChat, EchoConnector, ECHO_USER } from '../../bridges/echo/index.js';
import { portalKey } from '../../src/connector.js';
import { asUser, roomEvents, startBridge, joinAlias } from '../support/bridge-harness.js';
import {
  registerUser,
  requireSynapse,
  testRegistration,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';
import {
  runConnectorConformance,
  startDirectChat,
  type ConformanceTarget,
  type NetworkMessage,
} from '../conformance/connector-conformance.js';

const REFUSE = 'REFUSED-BY-ECHO';

/** An echo network with its portals (room → portal name) and an admin who makes it speak. */
function echoTarget(
  name: string,
  features: Record<string, boolean>,
): Omit<ConformanceTarget, 'capabilities' | 'skip'> {
  const echo = new EchoConnector();
  /** Room → what `echo say` names it by: a portal name, or the user whose direct chat it is. */
  const portals = new Map<string, string>();
  const domain = () => requireSynapse().serverName;
  const operatorLocalpart = uniqueLocalpart('operator');
  let management: Promise<{ operator: TestUser; roomId: string }> | undefined;
  let txn = 0;

  const send = async (user: TestUser, roomId: string, body: string) =>
    asUser(
      user,
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/op.${Date.now()}.${++txn}`,
      { msgtype: 'm.text', body },
    );

  /** The operator's direct chat with the bot (a management room), made once; the bot greets when it is ready. */
  const managementRoom = () =>
    (management ??= (async () => {
      const operator = await registerUser(operatorLocalpart);
      const bot = `@${testRegistration().sender_localpart}:${domain()}`;
      const { room_id: roomId } = await asUser<{ room_id: string }>(
        operator,
        'POST',
        '/_matrix/client/v3/createRoom',
        {
          is_direct: true,
          invite: [bot],
          preset: 'trusted_private_chat',
        },
      );
      await waitFor(
        async () =>
          (await roomEvents(operator, roomId)).some(
            (e) => e.sender === bot && e.content.msgtype === 'm.notice',
          ),
        20_000,
        'the bot to greet the operator',
      );
      return { operator, roomId };
    })());

  const portalOf = (roomId: string) => {
    const key = portals.get(roomId);
    if (!key) throw new Error(`${roomId} is not a portal this test opened`);
    return key;
  };

  return {
    name,
    start: ({ database }) =>
      startBridge({
        database,
        connectors: [echo],
        bridges: { echo: { enabled: true, reject_text: REFUSE, features } },
        admins: [`@${operatorLocalpart}:${domain()}`], // `echo say` is for admins
      }),
    openPortal: async (user) => {
      const key = uniqueLocalpart('conf').replace('_', '-');
      const alias = `#echo_${key}:${domain()}`;
      // Joining an unknown alias in the bridge's namespace makes Synapse ask the bridge, which creates the room.
      const roomId = await joinAlias(user, alias);
      portals.set(roomId, key);
      return roomId;
    },
    openCallPortal: async (user) => {
      const key = uniqueLocalpart('call').replace('_', '-');
      const roomId = await echo.openPrivate(key, user.userId);
      await asUser(user, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
      portals.set(roomId, key);
      return roomId;
    },
    openDirectChat: async (user) => {
      const roomId = await startDirectChat(user, `@echo_${ECHO_USER}:${domain()}`);
      portals.set(roomId, user.userId);
      return roomId;
    },
    network: {
      received: async (roomId): Promise<NetworkMessage[]> => {
        const name = portalOf(roomId);
        return [...echo.heard(name.startsWith('@') ? directChat(name) : portalKey(name))];
      },
      say: async (roomId, text) => {
        const { operator, roomId: dm } = await managementRoom();
        await send(operator, dm, `echo say ${portalOf(roomId)} ${text}`);
      },
    },
    refuse: REFUSE,
  };
}

runConnectorConformance({
  ...echoTarget('echo', { edits: true, redactions: true, reactions: true }),
  capabilities: {
    edits: true,
    redactions: true,
    reactions: true,
    replies: true,
    threads: true,
    calls: true,
    avatars: true,
    receipts: true,
    presence: true,
    bounces: true,
  },
  unservableLink: { bridge: 'echo', remoteId: 'Not A Chat' },
  refusedLinkOption: { bridge: 'echo', remoteId: 'lobby', refused: { greeting: 'two\nlines' } },
  skip: [],
});

// The same network with its capability handlers turned off: what a network lacking them shows.
runConnectorConformance({
  ...echoTarget('echo without edits, deletes, reactions or calls', {
    edits: false,
    redactions: false,
    reactions: false,
    calls: false,
    receipts: false,
  }),
  capabilities: { edits: false, redactions: false, reactions: false, replies: true, calls: false },
  skip: [
    {
      tests: [
        'matrix-to-network-order',
        'network-to-matrix-order',
        'replies',
        'refused-message',
        'restart-mid-burst',
        'direct-chat-rejoin',
      ],
      reason:
        'turning features off removes only the edit, deletion, reaction and call handlers; the full echo run above covers the rest',
    },
  ],
});
