// MUCs that do not exist, against real Prosody and Synapse, on `locking.localhost`: a MUC service
// with Prosody's default room locking (XEP-0045 §10.1). With bridges.xmpp.create_rooms off (the
// default), the bridge asks a room whether it exists before linking it: a missing room's alias
// is not found, `xmpp join` and `link` say why, and no room is made on the server. With it on, the
// Matrix user's join makes the room, and the bridge unlocks it (persistent), so XMPP users enter
// it and messages go both ways; our occupants refused while it was locked join again after that.
// A room someone on XMPP made and left locked: it answers disco#info as any room (so it is
// linked), refuses the Matrix user's join (item-not-found), who is told it is locked; once its
// owner configures it, their next message enters it.
import { randomBytes } from 'node:crypto';
import { xml } from '@xmpp/xml';
import type { Element } from '@xmpp/xml';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { asUser, joinAlias, roomEvents, sendText } from '../support/bridge-harness.js';
import { BOT } from '../support/management-room.js';
import { requireSynapse, waitFor, type TestUser } from '../support/synapse.js';
import { commandParties, matrixUser, mucAlias, said, xmppScope } from '../support/xmpp-scope.js';
import {
  ghostOf,
  groupchat,
  inRoom,
  joinMuc,
  LOCKING_MUC_HOST,
  type XmppUser,
} from '../support/xmpp-user.js';

const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const MUC_OWNER = 'http://jabber.org/protocol/muc#owner';

/** What the MUC service tells Carol of `room`: its disco#info features, or the error's condition. */
async function discoOf(
  carol: XmppUser,
  room: string,
): Promise<{ features?: string[]; error?: string }> {
  const id = `disco-${randomBytes(4).toString('hex')}`;
  await carol.send(xml('iq', { type: 'get', to: room, id }, xml('query', { xmlns: DISCO_INFO })));
  const answer = await carol.expect(
    (el) => el.name === 'iq' && el.attrs.id === id,
    `disco#info of ${room}`,
  );
  if (answer.attrs.type === 'error')
    return { error: answer.getChild('error')?.getChildElements()[0]?.name ?? 'unknown' };
  const query = answer.getChild('query', DISCO_INFO);
  return {
    features: (query?.getChildren('feature') ?? []).map((f: Element) => f.attrs.var as string),
  };
}

const newRoom = (tag: string) => `${tag}${randomBytes(4).toString('hex')}@${LOCKING_MUC_HOST}`;

describe('XMPP MUCs that do not exist, create_rooms off (Prosody + Synapse)', () => {
  const niaNick = `Nia ${randomBytes(2).toString('hex')}`;
  const parties = commandParties(`nocreate${randomBytes(2).toString('hex')}`, niaNick, {
    config: { create_rooms: false },
  });
  const { command } = parties;

  it("a missing room's alias is not found, and no room is made on the server", async () => {
    const room = newRoom('noalias');
    await expect(joinAlias(parties.nia, mucAlias(room))).rejects.toThrow(/-> 404: .*M_NOT_FOUND/);
    expect(await discoOf(parties.carol, room)).toEqual({ error: 'item-not-found' });
  });

  it('`xmpp join` and `link` of a missing room say why, naming the room and the config key', async () => {
    const room = newRoom('nojoin');
    const refusal = `The XMPP room ${room} does not exist, and this bridge does not create rooms (bridges.xmpp.create_rooms is off)`;
    expect(await command(`xmpp join ${room}`)).toContain(refusal);
    expect(await command(`link xmpp muc/${room} ${parties.management}`)).toContain(refusal);
    expect(await discoOf(parties.carol, room)).toEqual({ error: 'item-not-found' });
  });

  it('a room that exists is linked: its alias gives the portal', async () => {
    const room = newRoom('exists');
    await joinMuc(parties.carol, room, 'Carol');
    // Carol made it: she accepts the instant room (XEP-0045 §10.1.2), as an XMPP client does.
    await parties.carol.send(
      xml(
        'iq',
        { type: 'set', to: room, id: 'unlock' },
        xml('query', { xmlns: MUC_OWNER }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' })),
      ),
    );
    await parties.carol.expect(
      (el) => el.name === 'iq' && el.attrs.id === 'unlock' && el.attrs.type === 'result',
      'the room unlocked',
    );
    const roomId = await joinAlias(parties.nia, mucAlias(room));
    await parties.carol.expect((el) => inRoom(el, `${room}/${niaNick}`), 'Nia in the MUC');
    await sendText(parties.nia, roomId, 'in a room that was there');
    await parties.carol.expect(
      (el) => el.name === 'message' && el.getChildText('body') === 'in a room that was there',
      'the message',
    );
  });
});

describe('XMPP MUCs that do not exist, create_rooms on (Prosody + Synapse)', () => {
  const scope = xmppScope();
  const room = newRoom('made');
  const nick = `Matt ${randomBytes(2).toString('hex')}`;
  let matt: TestUser;
  let carol: XmppUser;
  let roomId: string;

  beforeAll(async () => {
    requireSynapse();
    carol = await scope.user('carol', `create${randomBytes(2).toString('hex')}`);
    await scope.bridge(new XmppConnector(), { create_rooms: true });
    matt = await matrixUser('matt', nick);
  });

  it("the Matrix user's join makes the room on a locking service, and the bridge unlocks it, persistent", async () => {
    expect(await discoOf(carol, room)).toEqual({ error: 'item-not-found' });
    roomId = await joinAlias(matt, mucAlias(room));
    // Made by Matt's occupant's join, and configured persistent by the bridge (Prosody's default
    // is not persistent); locked, it would answer Carol's join with item-not-found.
    await waitFor(
      async () => (await discoOf(carol, room)).features?.includes('muc_persistent'),
      20_000,
      'the room made and configured persistent',
    );
    await joinMuc(carol, room, 'Carol');
  });

  it('messages go both ways in the room the bridge made', async () => {
    await carol.expect((el) => inRoom(el, `${room}/${nick}`), `${nick} in the MUC`);
    await sendText(matt, roomId, 'hello from Matrix');
    await carol.expect(
      (el) => el.name === 'message' && el.getChildText('body') === 'hello from Matrix',
      'the Matrix message',
    );
    await carol.send(groupchat(room, 'hello from XMPP'));
    await said(matt, roomId, ghostOf(`${room}/Carol`), 'hello from XMPP');
  });
});

describe('XMPP: a MUC the config lists that does not exist, two Matrix users (Prosody + Synapse)', () => {
  const scope = xmppScope();
  const room = newRoom('listed');
  const tag = randomBytes(2).toString('hex');
  const nicks = [`Ann ${tag}`, `Ben ${tag}`];
  let carol: XmppUser;

  beforeAll(async () => {
    requireSynapse();
    carol = await scope.user('carol', `listed${tag}`);
    const [ann, ben] = await Promise.all(nicks.map((nick) => matrixUser('user', nick)));
    const { room_id: roomId } = await asUser<{ room_id: string }>(
      ann!,
      'POST',
      '/_matrix/client/v3/createRoom',
      { preset: 'public_chat', invite: [BOT] },
    );
    await asUser(ben!, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
    // Both occupants join at the connection's start, at once: the first one's join makes the room.
    await scope.bridge(new XmppConnector(), { rooms: [{ muc: room, room: roomId }] });
  });

  it('the occupant refused while the room was locked joins again once the bridge unlocked it', async () => {
    await waitFor(
      async () => (await discoOf(carol, room)).features?.includes('muc_persistent'),
      20_000,
      'the room made and configured persistent',
    );
    await joinMuc(carol, room, 'Carol');
    for (const nick of nicks)
      await carol.expect((el) => inRoom(el, `${room}/${nick}`), `${nick} in the MUC`);
  });
});

describe('XMPP: a MUC someone on XMPP made and left locked (Prosody + Synapse)', () => {
  const scope = xmppScope();
  const room = newRoom('unready');
  const nick = `Lou ${randomBytes(2).toString('hex')}`;
  let lou: TestUser;
  let carol: XmppUser;
  let roomId: string;

  beforeAll(async () => {
    requireSynapse();
    carol = await scope.user('carol', `unready${randomBytes(2).toString('hex')}`);
    // Carol's join makes the room; she does not configure it yet, so it stays locked (§10.1).
    await joinMuc(carol, room, 'Carol');
    await scope.bridge(new XmppConnector(), {});
    lou = await matrixUser('lou', nick);
  });

  it('the disco#info check finds the room, and the Matrix user its join refused is told it is locked', async () => {
    // A locked room answers disco#info as any room: its alias gives the portal.
    roomId = await joinAlias(lou, mucAlias(room));
    const told = `${lou.userId}: The XMPP room ${room} is locked, so it is not available (item-not-found): whoever made it on XMPP has not configured it yet.`;
    await waitFor(
      async () =>
        (await roomEvents(lou, roomId)).some(
          (e) => e.content.msgtype === 'm.notice' && String(e.content.body).startsWith(told),
        ),
      20_000,
      'the notice to Lou that the room is locked',
    );
  });

  it('once its owner configures the room, the next Matrix message enters it', async () => {
    await carol.send(
      xml(
        'iq',
        { type: 'set', to: room, id: 'configure' },
        xml('query', { xmlns: MUC_OWNER }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' })),
      ),
    );
    await carol.expect(
      (el) => el.name === 'iq' && el.attrs.id === 'configure' && el.attrs.type === 'result',
      'the room unlocked',
    );
    await sendText(lou, roomId, 'now that it is open');
    await carol.expect((el) => inRoom(el, `${room}/${nick}`), `${nick} in the MUC`);
    await waitFor(
      () => carol.bodiesFrom(`${room}/${nick}`).includes('now that it is open'),
      20_000,
      "Lou's message on XMPP",
    );
  });
});
