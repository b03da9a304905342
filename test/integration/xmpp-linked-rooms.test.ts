// MUCs linked at run time through the provisioning API, against real Prosody and Synapse (the
// config's rooms are xmpp-config-rooms.test.ts): the Matrix users already in the room join the MUC
// at the link, before anyone speaks (not the bot); a password given with the link
// (`"options": {"password": …}`) goes in each of their joins and is never listed back; a wrong
// one is told in the room as a configured one is, and a link again with the right one lets them
// in; an option the bridge does not take, or a password no join can carry, is refused and nothing
// is linked. After a restart the occupants
// (kicked while the bridge was down) join again, the password from the store, where it is not
// kept in the clear.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, roomEvents, sendText } from '../support/bridge-harness.js';
import { requireSynapse, testRegistration, waitFor, type TestUser } from '../support/synapse.js';
import { kick, passwordProtected } from '../support/xmpp-muc-owner.js';
import { matrixUser, mucOf, roomForLink, said, xmppScope } from '../support/xmpp-scope.js';
import { ghostOf, groupchat, inRoom, joinMuc, type XmppUser } from '../support/xmpp-user.js';

const SECRET = 'xmpp_linked_rooms_provisioning_secret_0123';
const PASSWORD = 'open sesame <&> "linked"';
const WRONG = 'not the right one, linked';

describe('XMPP: MUCs linked at run time (provisioning API), with room passwords (Prosody + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const open = mucOf(`linked${suffix}`);
  const locked = mucOf(`linkedlocked${suffix}`);
  const wrong = mucOf(`linkedwrong${suffix}`);
  const database = join(mkdtempSync(join(tmpdir(), 'sb-linked-rooms-')), 'switchboard.db');
  const scope = xmppScope();
  let connector: XmppConnector;
  let bridge: Switchboard;
  let carol: XmppUser;
  let alice: TestUser;
  let dave: TestUser;
  const rooms: Record<string, string> = {};

  const start = async () => {
    connector = new XmppConnector();
    bridge = await scope.bridge(connector, {}, { database, provisioningSecret: SECRET });
  };
  const provision = (method: string, path: string, body?: unknown) =>
    fetch(`${testRegistration().url}/_switchboard/provision/v1${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  const link = (muc: string, roomId: string, options?: unknown) =>
    provision('POST', '/portals', {
      bridge: 'xmpp',
      remote_id: XmppConnector.mucPortal(muc),
      room_id: roomId,
      ...(options !== undefined ? { options } : {}),
    });
  /** The nicks carol has seen in the MUC (but her own). */
  const nicksIn = (muc: string) =>
    new Set(
      carol.heard
        .filter((el) => el.name === 'presence' && el.attrs.from?.startsWith(`${muc}/`))
        .map((el) => el.attrs.from!.slice(muc.length + 1)),
    );

  beforeAll(async () => {
    requireSynapse();
    carol = await scope.user('carol', 'linked-rooms');
    await joinMuc(carol, open, 'Carol');
    await passwordProtected(carol, locked, PASSWORD);
    await passwordProtected(carol, wrong, 'the right one');
    alice = await matrixUser('alice', 'Alice');
    dave = await matrixUser('dave', 'Dave');
    for (const muc of [open, locked, wrong]) rooms[muc] = await roomForLink(alice, muc);
    // Dave is in the first room too: every Matrix user there, not only its creator.
    await asUser(
      alice,
      'POST',
      `/_matrix/client/v3/rooms/${encodeURIComponent(rooms[open]!)}/invite`,
      {
        user_id: dave.userId,
      },
    );
    await asUser(dave, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(rooms[open]!)}`, {});
    await start();
  });

  it('a room with people in it linked to a MUC: each is an occupant at once, the bot is not', async () => {
    const res = await link(open, rooms[open]!);
    expect(res.status, await res.text()).toBe(201);
    // Nobody has spoken or changed membership since the link: the link alone brings them in.
    await carol.expect((el) => inRoom(el, `${open}/Alice`), 'Alice in the MUC');
    await carol.expect((el) => inRoom(el, `${open}/Dave`), 'Dave in the MUC');
    await carol.send(groupchat(open, 'heard at once'));
    await said(alice, rooms[open]!, ghostOf(`${open}/Carol`), 'heard at once');
    expect([...nicksIn(open)].sort()).toEqual(['Alice', 'Carol', 'Dave']);
  });

  it('a password given with the link: the occupants join with it; it is never listed back', async () => {
    const res = await link(locked, rooms[locked]!, { password: PASSWORD });
    const answer = await res.text();
    expect(res.status, answer).toBe(201);
    expect(answer).not.toContain('sesame');
    await carol.expect((el) => inRoom(el, `${locked}/Alice`), 'Alice in the locked MUC');
    await sendText(alice, rooms[locked]!, 'hello locked room');
    await waitFor(
      () => carol.bodiesFrom(`${locked}/Alice`).includes('hello locked room'),
      20_000,
      'alice on XMPP',
    );
    const listed = await (await provision('GET', '/portals?bridge=xmpp')).text();
    expect(listed).toContain(XmppConnector.mucPortal(locked));
    expect(listed).not.toContain('sesame');
  });

  it('a wrong password given with the link: told in the room (not the password), nothing reaches the MUC; linked again with the right one, it does', async () => {
    const res = await link(wrong, rooms[wrong]!, { password: WRONG });
    expect(res.status, await res.text()).toBe(201);
    const notice = await waitFor(
      async () =>
        (await roomEvents(alice, rooms[wrong]!)).find(
          (e) => e.content.msgtype === 'm.notice' && e.sender === ghostOf(wrong),
        ),
      20_000,
      'the notice about the password',
    );
    const body = String(notice.content.body);
    expect(body).toContain(`The XMPP room ${wrong} is password-protected`);
    expect(body).toContain('the password it was linked with is wrong');
    expect(body).not.toContain(WRONG);
    expect(carol.bodiesFrom(wrong)).toEqual([]);
    // The fix the notice gives: the same link again with the right password, which replaces it.
    const again = await link(wrong, rooms[wrong]!, { password: 'the right one' });
    expect(again.status, await again.text()).toBe(201);
    await carol.expect((el) => inRoom(el, `${wrong}/Alice`), 'Alice in the MUC at last');
  });

  it('an option XMPP does not take, or a password no join can carry: refused, nothing linked', async () => {
    const muc = mucOf(`linkedrefused${suffix}`);
    const roomId = await roomForLink(alice, muc);
    const unknown = await link(muc, roomId, { nick: 'Bridge' });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: string }).error).toBe(
      'xmpp takes no link option "nick" (it takes only "password")',
    );
    const bad = await link(muc, roomId, { password: 'two\nlines' });
    expect(bad.status).toBe(400);
    const error = ((await bad.json()) as { error: string }).error;
    expect(error).toMatch(/the option "password" must be the room password: 1 to 1024 characters/);
    expect(error).not.toContain('lines');
    const notStrings = await link(muc, roomId, { password: 42 });
    expect(notStrings.status).toBe(400);
    expect(((await notStrings.json()) as { errcode: string }).errcode).toBe('M_BAD_JSON');
    const listed = await (await provision('GET', '/portals?bridge=xmpp')).text();
    expect(listed).not.toContain(muc);
    expect(nicksIn(muc).size).toBe(0);
  });

  it('after a restart, the occupants of linked rooms join again, the password from the store', async () => {
    await bridge.stop();
    // The password is in the store, sealed: not in the clear in the database.
    for (const file of [database, `${database}-wal`].filter((f) => existsSync(f)))
      for (const secret of ['open sesame', 'the right one'])
        expect(readFileSync(file).includes(secret), `${secret} in ${file}`).toBe(false);
    // Kicked while the bridge is away (a component's occupants outlive its connection): the
    // restart is a new join, which the locked MUC takes only with its password.
    await kick(carol, open, 'Alice');
    await kick(carol, locked, 'Alice');
    const mark = carol.heard.length;
    const back = (muc: string) =>
      carol.expect(
        (el) => carol.heard.indexOf(el) >= mark && inRoom(el, `${muc}/Alice`),
        `Alice back in ${muc}`,
      );
    await start();
    await back(open);
    await back(locked);
    await carol.send(groupchat(locked, 'after the restart'));
    await said(alice, rooms[locked]!, ghostOf(`${locked}/Carol`), 'after the restart');
  });
});
