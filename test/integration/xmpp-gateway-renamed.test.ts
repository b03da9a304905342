// The gateway's occupant list follows Matrix display names, against real Prosody and Synapse: a
// member not shown yet (over `gateway.max_shown_members` at the join) who changes their display
// name appears under the new one when they first speak, never under the stale one.
import { randomBytes } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { asUser, roomEvents, sendText } from '../support/bridge-harness.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';
import { xmppScope } from '../support/xmpp-scope.js';
import { COMPONENT, type XmppUser } from '../support/xmpp-user.js';

const MUC = 'http://jabber.org/protocol/muc';
const MUC_USER = 'http://jabber.org/protocol/muc#user';

describe('XMPP gateway: a member not shown yet renamed (Prosody + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const roomJid = `#gwr${suffix}#localhost@${COMPONENT}`;
  const scope = xmppScope();
  let olga: TestUser;
  let quinn: TestUser;
  let roomId: string;
  let alice: XmppUser;

  beforeAll(async () => {
    requireSynapse();
    olga = await registerUser(uniqueLocalpart('olga'), undefined, { displayname: 'Olga' });
    quinn = await registerUser(uniqueLocalpart('quinn'), undefined, { displayname: 'Quinn' });
    roomId = (
      await asUser<{ room_id: string }>(olga, 'POST', '/_matrix/client/v3/createRoom', {
        preset: 'public_chat',
        room_alias_name: `gwr${suffix}`,
      })
    ).room_id;
    await asUser(quinn, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
    await scope.bridge(new XmppConnector(), { gateway: { max_shown_members: 1 } });
    alice = await scope.user('alice', 'gwr');
    await alice.send(xml('presence', { to: `${roomJid}/Alice` }, xml('x', { xmlns: MUC })));
    await alice.expect(
      (el) =>
        el.name === 'presence' &&
        el.attrs.from === `${roomJid}/Alice` &&
        !!el
          .getChild('x', MUC_USER)
          ?.getChildren('status')
          .some((s) => s.attrs.code === '110'),
      'in the room',
    );
  });

  it('appears under their new name when they first speak', async () => {
    const fromQuinn = (el: Element) =>
      el.name === 'presence' && el.attrs.from === `${roomJid}/Quinn`;
    expect(alice.heard.some(fromQuinn)).toBe(false); // not shown at the join: Olga is
    await asUser(
      quinn,
      'PUT',
      `/_matrix/client/v3/profile/${encodeURIComponent(quinn.userId)}/displayname`,
      { displayname: 'Quincy' },
    );
    // Synapse puts the new name into the room's member event after it answered: the message
    // goes once the rename is in the room, so it comes after it in the room's order.
    await waitFor(
      async () =>
        (await roomEvents(olga, roomId)).find(
          (e) =>
            e.type === 'm.room.member' &&
            e.state_key === quinn.userId &&
            e.content.displayname === 'Quincy',
        ),
      20_000,
      'the rename in the room',
    );
    await sendText(quinn, roomId, 'renamed and speaking');
    const msg = await alice.expect(
      (el) => el.name === 'message' && el.getChildText('body') === 'renamed and speaking',
      "Quinn's message",
    );
    expect(msg.attrs.from).toBe(`${roomJid}/Quincy`);
    const shown = alice.heard.findIndex(
      (el) => el.name === 'presence' && el.attrs.from === `${roomJid}/Quincy` && !el.attrs.type,
    );
    expect(shown).toBeGreaterThanOrEqual(0);
    expect(shown).toBeLessThan(alice.heard.indexOf(msg));
    expect(alice.heard.some(fromQuinn)).toBe(false); // never under the stale name
  });
});
