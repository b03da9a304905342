// The gateway with a big Matrix room, against real Prosody and Synapse: an XMPP user enters a
// public room of 1,000 members and is in at once, shown only the first max_shown_members (the
// default, 50) of them, moderators first, instead of a flood of 1,000 presences.
import { randomBytes } from 'node:crypto';
import { xml } from '@xmpp/xml';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { asUser } from '../support/bridge-harness.js';
import {
  registerUser,
  requireSynapse,
  testRegistration,
  uniqueLocalpart,
  type TestUser,
} from '../support/synapse.js';
import { xmppScope } from '../support/xmpp-scope.js';
import { COMPONENT, type XmppUser } from '../support/xmpp-user.js';

const MEMBERS = 1_000;
const MUC_USER = 'http://jabber.org/protocol/muc#user';

describe('XMPP gateway: a Matrix room of 1,000 members (Prosody + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const roomJid = `#big${suffix}#localhost@${COMPONENT}`;
  const connector = new XmppConnector();
  const scope = xmppScope();
  let owner: TestUser;
  let dave: XmppUser;
  let roomId: string;

  beforeAll(async () => {
    requireSynapse();
    owner = await registerUser(uniqueLocalpart('owner'), undefined, { displayname: 'Owner' });
    roomId = (
      await asUser<{ room_id: string }>(owner, 'POST', '/_matrix/client/v3/createRoom', {
        preset: 'public_chat',
        room_alias_name: `big${suffix}`,
      })
    ).room_id;
    // 999 more members: users of the appservice's namespace (no password hashing; no device or
    // access token either, the appservice's token acts for them), 10 at a time.
    const as = { accessToken: testRegistration().as_token };
    const ids = Array.from({ length: MEMBERS - 1 }, (_, i) => `irc_big${suffix}_${i}`);
    for (let i = 0; i < ids.length; i += 10)
      await Promise.all(
        ids.slice(i, i + 10).map(async (local) => {
          await asUser(as, 'POST', '/_matrix/client/v3/register', {
            type: 'm.login.application_service',
            username: local,
            inhibit_login: true,
          });
          await asUser(
            as,
            'POST',
            `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?user_id=${encodeURIComponent(`@${local}:localhost`)}`,
            {},
          );
        }),
      );
    await scope.bridge(connector);
    dave = await scope.user('dave', 'big');
  }, 600_000);

  it('is joinable: the XMPP user is in at once, shown 50 members (the owner first), not 1,000', async () => {
    const t0 = Date.now();
    await dave.send(
      xml(
        'presence',
        { to: `${roomJid}/Dave` },
        xml('x', { xmlns: 'http://jabber.org/protocol/muc' }),
      ),
    );
    const self = await dave.expect(
      (el) =>
        el.name === 'presence' &&
        el.attrs.from === `${roomJid}/Dave` &&
        !!el
          .getChild('x', MUC_USER)
          ?.getChildren('status')
          .some((s) => s.attrs.code === '110'),
      'the self-presence',
      60_000,
    );
    const took = Date.now() - t0;
    console.log(`entered a room of ${MEMBERS} members in ${took} ms`);
    const shown = dave.heard
      .slice(0, dave.heard.indexOf(self))
      .filter((el) => el.name === 'presence' && el.attrs.from?.startsWith(`${roomJid}/`));
    expect(shown).toHaveLength(50);
    expect(shown.map((el) => el.attrs.from)).toContain(`${roomJid}/Owner`);
    // What the client read to get in: the stanzas from the room up to its self-presence.
    const got = dave.heard
      .slice(0, dave.heard.indexOf(self) + 1)
      .filter((el) => el.attrs.from?.startsWith(roomJid));
    const bytes = got.reduce((n, el) => n + Buffer.byteLength(el.toString()), 0);
    console.log(`joining took ${got.length} stanzas, ${bytes} bytes`);
    expect(got.length).toBeLessThanOrEqual(60);
    expect(bytes).toBeLessThan(32 * 1024);
    // Nothing more arrives unasked (the others appear when they speak).
    await new Promise((r) => setTimeout(r, 1_000));
    const presences = dave.heard.filter(
      (el) => el.name === 'presence' && el.attrs.from?.startsWith(`${roomJid}/`),
    );
    expect(presences.length).toBeLessThanOrEqual(51);
  }, 120_000);
});
