// A message the MUC refuses: in a moderated room, a Matrix user who enters is a visitor (no
// voice), so the room refuses their message; the sender gets a failure notice in Matrix (never a
// silent loss), and the XMPP occupants get nothing.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { joinAlias, replyTarget, roomEvents, sendText } from '../support/bridge-harness.js';
import { registerUser, requireSynapse, uniqueLocalpart, waitFor } from '../support/synapse.js';
import { configureMuc } from '../support/xmpp-muc-owner.js';
import { xmppScope } from '../support/xmpp-scope.js';
import { inRoom, joinMuc, MUC_HOST, type XmppUser } from '../support/xmpp-user.js';

describe('XMPP: a moderated MUC refuses a visitor (Prosody + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const room = `quiet${suffix}@${MUC_HOST}`;
  const alias = `#xmpp_quiet${suffix}=40${MUC_HOST}:localhost`;
  const connector = new XmppConnector();
  const scope = xmppScope();
  let carol: XmppUser;

  beforeAll(async () => {
    requireSynapse();
    carol = await scope.user('carol', 'moderated');
    await joinMuc(carol, room, 'Carol'); // she makes the room: its owner
    await configureMuc(carol, room, { 'muc#roomconfig_moderatedroom': '1' });
    await scope.bridge(connector);
  });

  it("a visitor's message gets a failure notice in Matrix and never reaches the room", async () => {
    const vic = await registerUser(uniqueLocalpart('vic'), undefined, { displayname: 'Vic' });
    const roomId = await joinAlias(vic, alias);
    const entered = await carol.expect((el) => inRoom(el, `${room}/Vic`), 'Vic in the MUC');
    expect(
      entered.getChild('x', 'http://jabber.org/protocol/muc#user')?.getChild('item')?.attrs.role,
    ).toBe('visitor');
    const refused = await sendText(vic, roomId, 'may I speak?');
    const notice = await waitFor(
      async () =>
        (await roomEvents(vic, roomId)).find(
          (e) => e.content.msgtype === 'm.notice' && replyTarget(e) === refused,
        ),
      20_000,
      'the failure notice',
    );
    expect(String(notice.content.body)).toMatch(/refused/i);
    expect(carol.bodiesFrom(`${room}/Vic`)).toEqual([]);
  });
});
