// MUCs through the XMPP bridge, against real Prosody and Synapse: a Matrix user who joins
// `#xmpp_<room>=40conference.localhost` enters the MUC as their own occupant; messages go both
// ways, and the room's reflection of a Matrix user's message is not bridged back; a mention of an
// occupant's ghost is their nick; subject ↔ topic; a taken nick gets a suffix instead of muting
// the Matrix user; an XMPP owner's kick and ban of Matrix users' occupants are their kick and ban
// in Matrix.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { asUser, joinAlias, roomEvents, sendAs, sendText } from '../support/bridge-harness.js';
import {
  registerUser,
  requireSynapse,
  testRegistration,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';
import { BOT } from '../support/management-room.js';
import { matrixUser, memberIn, xmppScope } from '../support/xmpp-scope.js';
import {
  ghostOf,
  groupchat,
  inRoom,
  joinMuc,
  matrixJid,
  MUC_HOST,
  xmppUser,
  type XmppUser,
} from '../support/xmpp-user.js';
import { xml } from '@xmpp/xml';

describe('XMPP MUCs (Prosody + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const room = `talk${suffix}@${MUC_HOST}`;
  const alias = `#xmpp_talk${suffix}=40${MUC_HOST}:localhost`;
  const connector = new XmppConnector();
  const scope = xmppScope();
  let matt: TestUser;
  let carol: XmppUser;
  let roomId: string;
  const mattNick = `Matt ${suffix}`;
  /** Matt's nick in the MUC now (a test renames him). */
  let mattNow = mattNick;
  const carolGhost = ghostOf(`${room}/Carol`);

  const fromGhost = (ghost: string, body: string, user = matt) =>
    waitFor(
      async () =>
        (await roomEvents(user, roomId)).find((e) => e.sender === ghost && e.content.body === body),
      20_000,
      `"${body}" from ${ghost}`,
    );

  beforeAll(async () => {
    requireSynapse();
    carol = await scope.user('carol', 'muc');
    await joinMuc(carol, room, 'Carol');
    await scope.bridge(connector);
    matt = await matrixUser('matt', mattNick);
  });

  it('a Matrix user who joins the alias enters the MUC as their own occupant, with their name', async () => {
    roomId = await joinAlias(matt, alias);
    await carol.expect((el) => inRoom(el, `${room}/${mattNick}`), 'matt in the MUC');
    // Who was in the MUC already is in the room at once, before saying anything.
    await memberIn(matt, roomId, carolGhost, 'join', "Carol's ghost in the room");
  });

  it("the MUC's owner is a room admin in Matrix (affiliations as power levels)", async () => {
    await carol.send(groupchat(room, 'I own this room'));
    await fromGhost(carolGhost, 'I own this room');
    const levels = await waitFor(
      async () => {
        const l = await asUser<{ users?: Record<string, number> }>(
          matt,
          'GET',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.power_levels/`,
        );
        return (l.users?.[carolGhost] ?? 0) > 50 ? l : undefined;
      },
      20_000,
      "Carol's power level",
    );
    expect(levels.users?.[carolGhost]).toBeGreaterThan(50);
  });

  it('XMPP → Matrix: an occupant speaks through their ghost, named by their nick', async () => {
    await carol.send(groupchat(room, 'hello matrix'));
    await fromGhost(carolGhost, 'hello matrix');
    const profile = await asUser<{ displayname?: string }>(
      matt,
      'GET',
      `/_matrix/client/v3/profile/${encodeURIComponent(carolGhost)}`,
    );
    expect(profile.displayname).toBe('Carol');
  });

  it("Matrix → XMPP: from the user's occupant, and the reflection is not bridged back", async () => {
    await sendText(matt, roomId, 'hello xmpp');
    await sendText(matt, roomId, 'and again');
    await waitFor(
      () => carol.bodiesFrom(`${room}/${mattNick}`).includes('and again'),
      20_000,
      'on XMPP',
    );
    expect(carol.bodiesFrom(`${room}/${mattNick}`)).toEqual(['hello xmpp', 'and again']);
    // Carol's next line comes after both in the room: by then a reflection would have been bridged.
    await carol.send(groupchat(room, 'marker'));
    await fromGhost(carolGhost, 'marker');
    const bodies = (await roomEvents(matt, roomId))
      .filter((e) => e.type === 'm.room.message')
      .map((e) => `${e.sender === matt.userId ? 'matt' : e.sender}:${String(e.content.body)}`);
    expect(bodies.filter((b) => b.endsWith(':hello xmpp'))).toEqual(['matt:hello xmpp']);
    expect(bodies.filter((b) => b.endsWith(':and again'))).toEqual(['matt:and again']);
  });

  it("a Matrix mention (pill) of an occupant's ghost is their nick on XMPP", async () => {
    await sendAs(matt, roomId, {
      msgtype: 'm.text',
      body: 'Caroline: look',
      format: 'org.matrix.custom.html',
      formatted_body: `<a href="https://matrix.to/#/${carolGhost}">Caroline</a>: look`,
    });
    await waitFor(
      () => carol.bodiesFrom(`${room}/${mattNick}`).includes('Carol: look'),
      20_000,
      'the mention as her nick',
    );
  });

  it('a private message through the MUC is never shown in the room (a chat of its own: xmpp-private)', async () => {
    await carol.send(
      xml(
        'message',
        { type: 'chat', to: `${room}/${mattNick}`, id: 'pm1' },
        xml('body', {}, 'psst, private'),
      ),
    );
    await carol.send(groupchat(room, 'after the pm'));
    await fromGhost(carolGhost, 'after the pm');
    const bodies = (await roomEvents(matt, roomId)).map((e) => e.content.body);
    expect(bodies).not.toContain('psst, private');
    expect(carol.heard.some((el) => el.attrs.id === 'pm1' && el.attrs.type === 'error')).toBe(
      false,
    );
  });

  it('subject ↔ topic', async () => {
    await carol.send(
      xml('message', { type: 'groupchat', to: room }, xml('subject', {}, 'XMPP topic')),
    );
    await waitFor(
      async () =>
        (await roomEvents(matt, roomId)).find(
          (e) => e.type === 'm.room.topic' && e.content.topic === 'XMPP topic',
        ),
      20_000,
      'the topic in Matrix',
    );
    // Matt may set topics in Matrix (the bridge bot, the room's creator, gives him the level).
    const bot = { accessToken: testRegistration().as_token };
    const levelsPath = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.power_levels`;
    const levels = await asUser<{ users?: Record<string, number> }>(bot, 'GET', levelsPath);
    await asUser(bot, 'PUT', levelsPath, {
      ...levels,
      users: { ...levels.users, [matt.userId]: 50 },
    });
    await asUser(
      matt,
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.topic/`,
      { topic: 'Matrix topic' },
    );
    await carol.expect(
      (el) =>
        el.name === 'message' &&
        el.attrs.from === `${room}/${mattNick}` &&
        el.getChildText('subject') === 'Matrix topic',
      'the subject on XMPP',
    );
  });

  it('a taken nick gets a suffix: the Matrix user is not muted', async () => {
    const nina = await registerUser(uniqueLocalpart('nina'), undefined, { displayname: 'Carol' });
    await joinAlias(nina, alias);
    await carol.expect((el) => inRoom(el, `${room}/Carol [m]`), 'nina as "Carol [m]"');
    // Nina has no management room: she is told in the room itself.
    await waitFor(
      async () =>
        (await roomEvents(nina, roomId)).find(
          (e) =>
            e.content.msgtype === 'm.notice' &&
            e.content.body ===
              `${nina.userId}: In the XMPP room ${room}, the nick "Carol" is taken: you are "Carol [m]" there.`,
        ),
      20_000,
      'the notice to nina',
    );
    await sendText(nina, roomId, 'I am not Carol');
    await waitFor(
      () => carol.bodiesFrom(`${room}/Carol [m]`).includes('I am not Carol'),
      20_000,
      "nina's line on XMPP",
    );
  });

  it("a Matrix user's new display name is their new nick", async () => {
    const newNick = `Matthew ${suffix}`;
    await asUser(
      matt,
      'PUT',
      `/_matrix/client/v3/profile/${encodeURIComponent(matt.userId)}/displayname`,
      { displayname: newNick },
    );
    await carol.expect((el) => inRoom(el, `${room}/${newNick}`), 'the new nick in the MUC');
    await sendText(matt, roomId, 'renamed');
    await waitFor(
      () => carol.bodiesFrom(`${room}/${newNick}`).includes('renamed'),
      20_000,
      'a line from the new nick',
    );
    mattNow = newNick;
  });

  it('a Matrix moderator kicks an XMPP occupant: their occupant does it in the MUC', async () => {
    const erin = await xmppUser('dave', 'kicked');
    await joinMuc(erin, room, 'Erin');
    const erinGhost = ghostOf(`${room}/Erin`);
    await memberIn(matt, roomId, erinGhost, 'join', "Erin's ghost in the room");
    // Carol (the MUC's owner) makes Matt a moderator; Matt may kick in Matrix (level 50, given above).
    await carol.send(
      xml(
        'iq',
        { type: 'set', to: room, id: 'mod1' },
        xml(
          'query',
          { xmlns: 'http://jabber.org/protocol/muc#admin' },
          xml('item', { nick: mattNow, role: 'moderator' }),
        ),
      ),
    );
    await carol.expect((el) => el.name === 'iq' && el.attrs.id === 'mod1', 'Matt a moderator');
    await asUser(matt, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/kick`, {
      user_id: erinGhost,
      reason: 'spam',
    });
    const kicked = await erin.expect(
      (el) =>
        el.name === 'presence' &&
        el.attrs.type === 'unavailable' &&
        el.attrs.from === `${room}/Erin` &&
        !!el
          .getChild('x', 'http://jabber.org/protocol/muc#user')
          ?.getChildren('status')
          .some((st) => st.attrs.code === '307'),
      'Erin kicked from the MUC',
    );
    expect(
      kicked
        .getChild('x', 'http://jabber.org/protocol/muc#user')
        ?.getChild('item')
        ?.getChildText('reason'),
    ).toBe('spam');
    await erin.stop();
  });

  it('XEP-0421: an XMPP occupant who changes nick keeps their ghost, renamed; a newcomer with the old nick gets a ghost of their own', async () => {
    const erin = await xmppUser('alice', 'rename');
    await joinMuc(erin, room, 'Renée');
    const ghost = ghostOf(`${room}/Renée`);
    await erin.send(groupchat(room, 'before the rename'));
    await fromGhost(ghost, 'before the rename');
    await erin.send(xml('presence', { to: `${room}/Renata` }));
    await erin.expect((el) => inRoom(el, `${room}/Renata`), 'Erin as Renata');
    await erin.send(groupchat(room, 'after the rename'));
    await fromGhost(ghost, 'after the rename');
    await waitFor(
      async () =>
        (
          await asUser<{ displayname?: string }>(
            matt,
            'GET',
            `/_matrix/client/v3/profile/${encodeURIComponent(ghost)}/displayname`,
          )
        ).displayname === 'Renata',
      20_000,
      'the ghost named Renata',
    );
    // The same ghost, renamed (a member event with the new name), never leaving.
    const members = await waitFor(
      async () => {
        const ms = (await roomEvents(matt, roomId)).filter(
          (e) => e.type === 'm.room.member' && e.state_key === ghost,
        );
        return ms.at(-1)?.content.displayname === 'Renata' ? ms : undefined;
      },
      20_000,
      'the ghost renamed in the room',
    );
    expect(members.map((e) => e.content.membership)).not.toContain('leave');
    const events = await roomEvents(matt, roomId);
    expect(events.some((e) => e.state_key === ghostOf(`${room}/Renata`))).toBe(false);
    // Someone else takes the old nick: not her ghost (that would put words in her mouth). It is
    // dave, who was "Erin" in this room before (kicked above): his own ghost again (one occupant-id
    // per account).
    const other = await xmppUser('dave', 'rename');
    await joinMuc(other, room, 'Renée');
    await other.send(groupchat(room, 'I am someone else'));
    await fromGhost(ghostOf(`${room}/Erin`), 'I am someone else');
    expect((await roomEvents(matt, roomId)).map((e) => e.sender)).not.toContain(
      ghostOf(`${room}/Renée [2]`),
    );
    await other.stop();
    await erin.stop();
  });

  it('XMPP occupants who leave, leave the room', async () => {
    const dave = await xmppUser('bob', 'muc');
    await joinMuc(dave, room, 'Dave');
    await dave.send(groupchat(room, 'hi all'));
    const daveGhost = ghostOf(`${room}/Dave`);
    await fromGhost(daveGhost, 'hi all');
    await dave.stop();
    await memberIn(matt, roomId, daveGhost, 'leave', 'dave left');
  });

  it("an XMPP owner kicks and bans Matrix users' occupants: kicked and banned in Matrix, with the reasons", async () => {
    const [kim, ben] = await Promise.all([
      matrixUser('kim', `Kim ${suffix}`),
      matrixUser('ben', `Ben ${suffix}`),
    ]);
    for (const [user, nick] of [
      [kim, `Kim ${suffix}`],
      [ben, `Ben ${suffix}`],
    ] as const) {
      await joinAlias(user, alias);
      await carol.expect((el) => inRoom(el, `${room}/${nick}`), `${nick} in the MUC`);
    }
    const admin = (id: string, item: Record<string, string>, reason: string) =>
      carol.send(
        xml(
          'iq',
          { type: 'set', to: room, id },
          xml(
            'query',
            { xmlns: 'http://jabber.org/protocol/muc#admin' },
            xml('item', item, xml('reason', {}, reason)),
          ),
        ),
      );
    await admin('kick-kim', { nick: `Kim ${suffix}`, role: 'none' }, 'off topic');
    await admin('ban-ben', { jid: matrixJid(ben.userId), affiliation: 'outcast' }, 'spam');
    const kicked = await memberIn(matt, roomId, kim.userId, 'leave', 'Kim kicked in Matrix');
    // Done by the bridge (not a leave of the user's own), with the room's reason.
    expect([kicked.sender, kicked.content.reason]).toEqual([BOT, 'off topic']);
    const banned = await memberIn(matt, roomId, ben.userId, 'ban', 'Ben banned in Matrix');
    expect([banned.sender, banned.content.reason]).toEqual([BOT, 'spam']);
  });
});
