// A gateway user's presence on their ghost, against real Prosody and Synapse (presence on, as
// Synapse has it by default): an XMPP user in a Matrix room (`#room#server@matrix.localhost`) who
// goes away, busy or back shows so on their ghost (`unavailable` with their status text, `online`),
// and offline once they left the room.
import { randomBytes } from 'node:crypto';
import { xml } from '@xmpp/xml';
import { beforeAll, describe, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { asUser } from '../support/bridge-harness.js';
import { requireSynapse, testRegistration, waitFor, type TestUser } from '../support/synapse.js';
import { matrixUser, memberIn, xmppScope } from '../support/xmpp-scope.js';
import { COMPONENT, ghostOf, type XmppUser } from '../support/xmpp-user.js';

describe("XMPP gateway: a user's presence on their ghost (Prosody + Synapse)", () => {
  const suffix = randomBytes(4).toString('hex');
  const roomJid = `#gwp${suffix}#localhost@${COMPONENT}`;
  const ghost = ghostOf('alice@localhost');
  const scope = xmppScope();
  let owner: TestUser;
  let roomId: string;
  let alice: XmppUser;

  /** Alice's presence to the room as `nick`, with `<show>` and `<status>` when given. */
  const presence = (show?: string, status?: string) =>
    alice.send(
      xml(
        'presence',
        { to: `${roomJid}/Alice` },
        ...(show ? [xml('show', {}, show)] : []),
        ...(status ? [xml('status', {}, status)] : []),
      ),
    );

  /**
   * Waits until the ghost's presence is `presence` with `status`, read as the ghost (once it left
   * the room, it shares none with the owner, who may then not see it).
   */
  const ghostShows = (presence: string, status?: string) =>
    waitFor(
      async () => {
        const p = await asUser<{ presence: string; status_msg?: string }>(
          { accessToken: testRegistration().as_token },
          'GET',
          `/_matrix/client/v3/presence/${encodeURIComponent(ghost)}/status?user_id=${encodeURIComponent(ghost)}`,
        );
        if (p.presence === presence && (p.status_msg ?? undefined) === status) return true;
        throw new Error(`the ghost shows ${JSON.stringify(p)}`);
      },
      20_000,
      `the ghost ${presence}${status ? ` (${status})` : ''}`,
    );

  beforeAll(async () => {
    requireSynapse();
    owner = await matrixUser('owner', 'Olga');
    roomId = (
      await asUser<{ room_id: string }>(owner, 'POST', '/_matrix/client/v3/createRoom', {
        preset: 'public_chat',
        room_alias_name: `gwp${suffix}`,
      })
    ).room_id;
    await scope.bridge(new XmppConnector());
    alice = await scope.user('alice', 'gwp');
    await alice.send(
      xml(
        'presence',
        { to: `${roomJid}/Alice` },
        xml('x', { xmlns: 'http://jabber.org/protocol/muc' }),
      ),
    );
    await memberIn(owner, roomId, ghost, 'join', "alice's ghost in the room");
  });

  it('an XMPP user in the room is online on their ghost; away with a status is unavailable with it', async () => {
    await ghostShows('online');
    await presence('away', 'at lunch');
    await ghostShows('unavailable', 'at lunch');
  });

  it('busy (dnd) keeps unavailable with the new status; back is online without one', async () => {
    await presence('dnd', 'in a meeting');
    await ghostShows('unavailable', 'in a meeting');
    await presence();
    await ghostShows('online');
  });

  it('leaving the room: the ghost is offline', async () => {
    await alice.send(xml('presence', { to: `${roomJid}/Alice`, type: 'unavailable' }));
    await memberIn(owner, roomId, ghost, 'leave', "alice's ghost left");
    await ghostShows('offline');
  });
});
