// MUCs listed in the config (`bridges.xmpp.rooms`), against real Prosody and Synapse: a
// password-protected MUC mapped to a room a Matrix user made (and invited the bot to) is linked
// at start and bridged both ways, the Matrix user's occupant joining with the room's password; a
// wrong password is told in the Matrix room (and nothing reaches the MUC); a MUC listed by its
// address alone gets its portal at start, the very room its alias gives later.
import { randomBytes } from 'node:crypto';
import { xml } from '@xmpp/xml';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { asUser, joinAlias, roomEvents, sendText } from '../support/bridge-harness.js';
import { requireSynapse, waitFor, type TestUser } from '../support/synapse.js';
import { matrixUser, mucAlias, mucOf, said, xmppScope } from '../support/xmpp-scope.js';
import { ghostOf, groupchat, inRoom, joinMuc, type XmppUser } from '../support/xmpp-user.js';

const BOT = '@switchboard:localhost';
const DATA = 'jabber:x:data';
const PASSWORD = 'open sesame <&>';

describe('XMPP: MUCs listed in the config, with room passwords (Prosody + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const locked = mucOf(`locked${suffix}`);
  const wrong = mucOf(`wrong${suffix}`);
  const plain = mucOf(`plain${suffix}`);
  const connector = new XmppConnector();
  const scope = xmppScope();
  let carol: XmppUser;
  let alice: TestUser;
  let lockedRoom: string;
  let wrongRoom: string;

  /** Carol makes the MUC (its owner) and gives it a password. */
  const passwordProtected = async (muc: string, password: string) => {
    await joinMuc(carol, muc, 'Carol');
    const field = (v: string, value: string) => xml('field', { var: v }, xml('value', {}, value));
    const id = `cfg-${muc}`;
    await carol.send(
      xml(
        'iq',
        { type: 'set', to: muc, id },
        xml(
          'query',
          { xmlns: 'http://jabber.org/protocol/muc#owner' },
          xml(
            'x',
            { xmlns: DATA, type: 'submit' },
            field('FORM_TYPE', 'http://jabber.org/protocol/muc#roomconfig'),
            field('muc#roomconfig_passwordprotectedroom', '1'),
            field('muc#roomconfig_roomsecret', password),
          ),
        ),
      ),
    );
    const answer = await carol.expect(
      (el) => el.name === 'iq' && el.attrs.id === id,
      `${muc} configured`,
    );
    expect(answer.attrs.type).toBe('result');
  };

  /** A private room of alice's with the bridge bot invited, as an admin would prepare it. */
  const preparedRoom = async (name: string) =>
    (
      await asUser<{ room_id: string }>(alice, 'POST', '/_matrix/client/v3/createRoom', {
        preset: 'private_chat',
        name,
        invite: [BOT],
      })
    ).room_id;

  beforeAll(async () => {
    requireSynapse();
    carol = await scope.user('carol', 'config-rooms');
    await passwordProtected(locked, PASSWORD);
    await passwordProtected(wrong, 'the right one');
    alice = await matrixUser('alice', 'Alice');
    lockedRoom = await preparedRoom('Locked MUC');
    wrongRoom = await preparedRoom('Wrong password');
    await scope.bridge(connector, {
      rooms: [
        { muc: locked, room: lockedRoom, password: PASSWORD },
        { muc: wrong, room: wrongRoom, password: 'not the right one' },
        plain,
      ],
    });
  });

  it('a password-protected MUC mapped to an existing room: linked at start, both ways', async () => {
    expect(await connector.roomOf(XmppConnector.mucPortal(locked))).toBe(lockedRoom);
    await sendText(alice, lockedRoom, 'hello locked room');
    await carol.expect((el) => inRoom(el, `${locked}/Alice`), 'Alice in the MUC');
    await waitFor(
      () => carol.bodiesFrom(`${locked}/Alice`).includes('hello locked room'),
      20_000,
      'alice on XMPP',
    );
    await carol.send(groupchat(locked, 'hello Matrix'));
    await said(alice, lockedRoom, ghostOf(`${locked}/Carol`), 'hello Matrix');
  });

  it('a wrong password: a notice in the Matrix room, and nothing reaches the MUC', async () => {
    await sendText(alice, wrongRoom, 'can you hear me?');
    const notice = await waitFor(
      async () =>
        (await roomEvents(alice, wrongRoom)).find(
          (e) => e.content.msgtype === 'm.notice' && e.sender === ghostOf(wrong),
        ),
      20_000,
      'the notice about the password',
    );
    expect(String(notice.content.body)).toContain(`The XMPP room ${wrong} is password-protected`);
    expect(String(notice.content.body)).toContain('wrong');
    expect(String(notice.content.body)).not.toContain('not the right one');
    expect(carol.bodiesFrom(wrong)).toEqual([]);
  });

  it('a MUC listed by its address: its portal is made at start, and its alias finds that room', async () => {
    const roomId = await connector.roomOf(XmppConnector.mucPortal(plain));
    expect(roomId).toBeDefined();
    expect(await joinAlias(alice, mucAlias(plain))).toBe(roomId);
  });
});
