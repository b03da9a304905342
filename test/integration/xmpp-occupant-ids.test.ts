// XEP-0421 occupant-ids across a restart of the XMPP bridge, against real Prosody and Synapse: an
// XMPP occupant who changed nick keeps the ghost they had (named by their first nick) after the
// bridge restarts, instead of becoming a new ghost under the new nick; the ids are kept in the
// bridge's store.
import { xml } from '@xmpp/xml';
import { beforeAll, describe, expect, it } from 'vitest';
import { roomEvents } from '../support/bridge-harness.js';
import { memberIn, restartablePortal, said } from '../support/xmpp-scope.js';
import { ghostOf, groupchat, inRoom } from '../support/xmpp-user.js';

describe('XEP-0421 occupant-ids kept across a bridge restart (Prosody + Synapse)', () => {
  const portal = restartablePortal('oid');
  const { room, carolGhost, mattNick } = portal;

  beforeAll(async () => {
    await memberIn(portal.matt, portal.roomId, carolGhost, 'join', "Carol's ghost in the room");
  });

  it('an occupant who renamed is the same ghost after the bridge restarts', async () => {
    const { carol, matt, roomId } = portal;
    await carol.send(xml('presence', { to: `${room}/Caroline` }));
    await carol.expect((el) => inRoom(el, `${room}/Caroline`), 'Carol as Caroline');
    await carol.send(groupchat(room, 'renamed'));
    await said(matt, roomId, carolGhost, 'renamed');

    await portal.stopBridge();
    const heard = carol.heard.length;
    await portal.startBridge();
    // Matt's occupant is back in the room (the bridge read the room's presences as it joined).
    await carol.expect(
      (el) => carol.heard.indexOf(el) >= heard && inRoom(el, `${room}/${mattNick}`),
      "Matt's occupant back",
    );
    await carol.send(groupchat(room, 'after the restart'));
    await said(matt, roomId, carolGhost, 'after the restart');
    const events = await roomEvents(matt, roomId);
    expect(events.some((e) => e.sender === ghostOf(`${room}/Caroline`))).toBe(false);
  });
});
