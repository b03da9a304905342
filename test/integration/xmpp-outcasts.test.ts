// The MUC's outcast list ↔ Matrix bans through the XMPP bridge, against real Prosody and Synapse.
// An outcast is an XMPP account (a bare address), so its Matrix side is the account's own ghost
// (`@xmpp_<address>`), not a nick's: a ban on XMPP of someone not in the room (which Prosody
// announces to the moderators), one made while the bridge was away (read from the list when an
// occupant of ours becomes an admin), and a ban of an occupant, are Matrix bans, and a ban lifted
// on XMPP is lifted in Matrix; a Matrix ban of
// an address ghost makes the address an outcast, and an unban ends it.
import { randomBytes } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { asUser, joinAlias, roomEvents } from '../support/bridge-harness.js';
import { requireSynapse, testRegistration, waitFor, type TestUser } from '../support/synapse.js';
import { matrixUser, mucAlias, xmppScope } from '../support/xmpp-scope.js';
import { ghostOf, joinMuc, matrixJid, MUC_HOST, type XmppUser } from '../support/xmpp-user.js';

const MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';

describe('MUC outcasts ↔ Matrix bans (Prosody + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const room = `outcasts${suffix}@${MUC_HOST}`;
  const connector = new XmppConnector();
  const scope = xmppScope();
  let matt: TestUser;
  let carol: XmppUser;
  let bob: XmppUser;
  let roomId: string;
  const early = `early${suffix}@example.org`;

  const affiliation = (jid: string, value: string, reason?: string) =>
    carol.client.iqCaller.request(
      xml(
        'iq',
        { type: 'set', to: room },
        xml(
          'query',
          { xmlns: MUC_ADMIN },
          xml('item', { jid, affiliation: value }, reason ? xml('reason', {}, reason) : null),
        ),
      ),
    );
  const outcasts = async () => {
    const answer: Element = await carol.client.iqCaller.request(
      xml(
        'iq',
        { type: 'get', to: room },
        xml('query', { xmlns: MUC_ADMIN }, xml('item', { affiliation: 'outcast' })),
      ),
    );
    return (answer.getChild('query', MUC_ADMIN)?.getChildren('item') ?? []).map((i) => i.attrs.jid);
  };
  const membership = async (userId: string) =>
    (await roomEvents(matt, roomId))
      .filter((e) => e.type === 'm.room.member' && e.state_key === userId)
      .at(-1);
  const bannedInMatrix = (userId: string, what: string) =>
    waitFor(
      async () => (await membership(userId))?.content?.membership === 'ban',
      20_000,
      what,
      200,
    );

  beforeAll(async () => {
    requireSynapse();
    [carol, bob] = await Promise.all([
      scope.user('carol', 'outcasts'),
      scope.user('bob', 'outcasts'),
    ]);
    await joinMuc(carol, room, 'Carol'); // Carol made the room: its owner
    await joinMuc(bob, room, 'Bob');
    await affiliation(early, 'outcast', 'banned before the bridge came'); // while it was away
    await scope.bridge(connector);
    matt = await matrixUser('matt', `Matt ${suffix}`);
    roomId = await joinAlias(matt, mucAlias(room));
    // Matt's occupant becomes an owner (a moderator: it hears the room's ban notices), and Matt a
    // Matrix room admin (he may ban).
    await affiliation(matrixJid(matt.userId), 'owner');
    const bot = { accessToken: testRegistration().as_token };
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.power_levels/`;
    await waitFor(
      async () => {
        const levels = await asUser<{ users?: Record<string, number> }>(bot, 'GET', path);
        if (levels.users?.[matt.userId] === 100) return true;
        await asUser(bot, 'PUT', path, {
          ...levels,
          users: { ...levels.users, [matt.userId]: 100 },
        });
        return false;
      },
      20_000,
      'matt a room admin',
      300,
    );
  });

  it('an outcast made while the bridge was away is banned once an occupant of ours may read the list', async () => {
    await bannedInMatrix(ghostOf(early), 'the early outcast banned in Matrix');
  });

  it('an XMPP ban of someone not in the room bans their ghost in Matrix', async () => {
    const dave = `dave${suffix}@example.org`;
    await affiliation(dave, 'outcast', 'spam');
    await bannedInMatrix(ghostOf(dave), "dave's ghost banned");
    expect((await membership(ghostOf(dave)))?.content?.reason).toContain('spam');
  });

  it('a ban lifted on XMPP is lifted in Matrix', async () => {
    const erin = `erin${suffix}@example.org`;
    await affiliation(erin, 'outcast');
    await bannedInMatrix(ghostOf(erin), "erin's ghost banned");
    await affiliation(erin, 'none');
    await waitFor(
      async () => (await membership(ghostOf(erin)))?.content?.membership === 'leave',
      20_000,
      "erin's ban lifted",
      200,
    );
  });

  it('an XMPP ban of an occupant bans their nick ghost and their account ghost', async () => {
    await waitFor(
      async () => (await membership(ghostOf(`${room}/Bob`)))?.content?.membership === 'join',
      20_000,
      "Bob's ghost in the room",
      200,
    );
    await affiliation('bob@localhost', 'outcast');
    await bannedInMatrix(ghostOf(`${room}/Bob`), "Bob's nick ghost banned");
    await bannedInMatrix(ghostOf('bob@localhost'), "bob's account ghost banned");
  });

  it('a Matrix ban of an account ghost makes it an outcast, and the unban ends that', async () => {
    const frank = `frank${suffix}@example.org`;
    const rooms = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;
    await asUser(matt, 'POST', `${rooms}/ban`, { user_id: ghostOf(frank), reason: 'troll' });
    await waitFor(async () => (await outcasts()).includes(frank), 20_000, 'frank an outcast', 200);
    await asUser(matt, 'POST', `${rooms}/unban`, { user_id: ghostOf(frank) });
    await waitFor(async () => !(await outcasts()).includes(frank), 20_000, 'frank unbanned', 200);
    // The room's notice of Matt's own ban did not come back as a second ban.
    const bans = (await roomEvents(matt, roomId)).filter(
      (e) => e.type === 'm.room.member' && e.state_key === ghostOf(frank),
    );
    expect(bans.map((e) => e.content?.membership)).toEqual(['ban', 'leave']);
  });
});
