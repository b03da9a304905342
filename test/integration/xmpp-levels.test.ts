// Matrix power levels → MUC affiliations and roles through the XMPP bridge, against real Prosody
// and Synapse: a Matrix room admin whose occupant owns the MUC makes an XMPP occupant's ghost a
// moderator (level 50), and the MUC makes that occupant a moderator; a Matrix user's level 100
// makes their occupant an owner.
import { randomBytes } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { asUser, joinAlias, roomEvents } from '../support/bridge-harness.js';
import { requireSynapse, testRegistration, waitFor, type TestUser } from '../support/synapse.js';
import { enterMuc, matrixUser, mucAlias, xmppScope } from '../support/xmpp-scope.js';
import { ghostOf, joinMuc, matrixJid, MUC_HOST, type XmppUser } from '../support/xmpp-user.js';

const MUC_USER = 'http://jabber.org/protocol/muc#user';
const MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
const item = (el: Element) => el.getChild('x', MUC_USER)?.getChild('item')?.attrs ?? {};

describe('Matrix power levels → MUC affiliations and roles (Prosody + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const room = `levels${suffix}@${MUC_HOST}`;
  const connector = new XmppConnector();
  const scope = xmppScope();
  let matt: TestUser;
  let other: TestUser;
  let carol: XmppUser;
  let bob: XmppUser;
  let roomId: string;
  const mattNick = `Matt ${suffix}`;
  const otherNick = `Otto ${suffix}`;

  const levelsPath = () =>
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.power_levels/`;

  beforeAll(async () => {
    requireSynapse();
    [carol, bob] = await Promise.all([scope.user('carol', 'levels'), scope.user('bob', 'levels')]);
    await joinMuc(carol, room, 'Carol');
    await joinMuc(bob, room, 'Bob');
    await scope.bridge(connector);
    matt = await matrixUser('matt', mattNick);
    other = await matrixUser('otto', otherNick);
    roomId = await joinAlias(matt, mucAlias(room));
    await enterMuc(other, room, otherNick, carol);
    // Carol, the MUC's owner, makes Matt's occupant an owner too.
    await carol.client.iqCaller.request(
      xml(
        'iq',
        { type: 'set', to: room },
        xml(
          'query',
          { xmlns: MUC_ADMIN },
          xml('item', { jid: matrixJid(matt.userId), affiliation: 'owner' }),
        ),
      ),
    );
    // The bridge bot, the room's creator, makes Matt a room admin in Matrix (as an admin would),
    // once it has set the ghosts' levels (Carol owns the MUC) so as not to race its own writes.
    const bot = { accessToken: testRegistration().as_token };
    const users = async () =>
      (await asUser<{ users?: Record<string, number> }>(bot, 'GET', levelsPath())).users ?? {};
    await waitFor(
      async () => ((await users())[ghostOf(`${room}/Carol`)] ?? 0) >= 100,
      20_000,
      "Carol's ghost's level",
    );
    await waitFor(
      async () => {
        if ((await users())[matt.userId] === 100) return true;
        const levels = await asUser<Record<string, unknown>>(bot, 'GET', levelsPath());
        await asUser(bot, 'PUT', levelsPath(), {
          ...levels,
          users: { ...(levels.users as object), [matt.userId]: 100 },
        });
        return false;
      },
      20_000,
      'matt a room admin',
      200,
    );
  });

  it('a ghost raised to 50 in Matrix makes the XMPP occupant a moderator', async () => {
    const bobGhost = ghostOf(`${room}/Bob`);
    await waitFor(
      async () =>
        (await roomEvents(matt, roomId)).some(
          (e) => e.type === 'm.room.member' && e.state_key === bobGhost,
        ),
      20_000,
      "Bob's ghost in the room",
    );
    const levels = await asUser<Record<string, unknown>>(matt, 'GET', levelsPath());
    await asUser(matt, 'PUT', levelsPath(), {
      ...levels,
      users: { ...(levels.users as object), [bobGhost]: 50 },
    });
    const promoted = await carol.expect(
      (el) =>
        el.name === 'presence' && el.attrs.from === `${room}/Bob` && item(el).role === 'moderator',
      'Bob a moderator',
    );
    expect(item(promoted).role).toBe('moderator');
  });

  it('a Matrix user raised to 100 gets an owner occupant', async () => {
    const levels = await asUser<Record<string, unknown>>(matt, 'GET', levelsPath());
    await asUser(matt, 'PUT', levelsPath(), {
      ...levels,
      users: { ...(levels.users as object), [other.userId]: 100 },
    });
    await carol.expect(
      (el) =>
        el.name === 'presence' &&
        el.attrs.from === `${room}/${otherNick}` &&
        item(el).affiliation === 'owner',
      'Otto an owner',
    );
  });
});
