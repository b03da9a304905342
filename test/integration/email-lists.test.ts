// A room linked to a mailing list by its List-Id (Dovecot + OpenSMTPD + Synapse): by core's `link
// email list:<mailbox>:<list id> <room>` command (refused to a user below power level 50, done by
// the room's creator), by the provisioning API, and from the config. The list's mail (in the
// mailbox's watched folder) goes to the list's room, other mail to the folder's room; answers go
// to the list's posting address; after `unlink` the list's mail is the folder's again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import {
  asUser,
  joinAlias,
  roomEvents,
  sendAs,
  sendText,
  type RoomEvent,
} from '../support/bridge-harness.js';
import {
  bridgeMailbox,
  createFolder,
  sendMail,
  startEmailBridge,
  tag,
  waitForMail,
} from '../support/mail-user.js';
import {
  registerUser,
  requireSynapse,
  testRegistration,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

const BOT = '@switchboard:localhost';
const SECRET = 'email_lists_provisioning_secret_0123456789';
const body = (e: RoomEvent) => String(e.content.body ?? '');

async function provision(method: string, path: string, json?: unknown) {
  const res = await fetch(`${testRegistration().url}/_switchboard/provision/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('email bridge: rooms linked to mailing lists by List-Id (Dovecot + OpenSMTPD + Synapse)', () => {
  const t = tag();
  const mailboxId = `l${t}`;
  const folder = `lists${t}`;
  const to = `bridge+${folder}@localhost`;
  const devList = `dev${t}.lists.test`;
  const opsList = `ops${t}.lists.test`;
  const cfgList = `cfg${t}.lists.test`;
  let bridge: Switchboard | undefined;
  let alice: TestUser;
  let mallory: TestUser;
  let folderRoom: string;
  let devRoom: string;
  let dm: string;
  let cfgRoom: string;

  const events = (user: TestUser, room: string) => roomEvents(user, room, 200);
  const seen = (room: string, match: (e: RoomEvent) => boolean, what: string) =>
    waitFor(async () => (await events(alice, room)).find(match), 20_000, what, 100);
  const managementRoom = async (user: TestUser) => {
    const room = (
      await asUser<{ room_id: string }>(user, 'POST', '/_matrix/client/v3/createRoom', {
        is_direct: true,
        invite: [BOT],
        preset: 'trusted_private_chat',
      })
    ).room_id;
    await waitFor(
      async () =>
        (await events(user, room)).some((e) => e.sender === BOT && e.type === 'm.room.message'),
      15_000,
      'the bot to greet',
    );
    return room;
  };
  const command = async (user: TestUser, room: string, text: string): Promise<string> => {
    const eventId = await sendText(user, room, text);
    const reply = await waitFor(
      async () => {
        const all = await events(user, room);
        const i = all.findIndex((e) => e.event_id === eventId);
        return i < 0
          ? undefined
          : all
              .slice(i + 1)
              .find(
                (e) =>
                  e.sender === BOT &&
                  e.type === 'm.room.message' &&
                  !body(e).startsWith('Hello! I am the bridge bot'),
              );
      },
      15_000,
      `the bot's answer to "${text}"`,
    );
    return body(reply);
  };
  const listMail = (list: string, text: string, extra: Record<string, unknown> = {}) =>
    sendMail(
      {
        from: '"Carol" <carol@localhost>',
        to,
        subject: text,
        text,
        headers: { 'List-Id': `The list <${list}>`, 'List-Post': '<mailto:bob@localhost>' },
        ...extra,
      },
      { lmtp: true },
    );

  beforeAll(async () => {
    requireSynapse();
    await createFolder('bridge', folder);
    alice = await registerUser(uniqueLocalpart('alice'));
    mallory = await registerUser(uniqueLocalpart('mallory'));
    // A room from before, linked in the config.
    cfgRoom = (
      await asUser<{ room_id: string }>(alice, 'POST', '/_matrix/client/v3/createRoom', {
        name: 'Config list',
        invite: [BOT],
      })
    ).room_id;
    bridge = await startEmailBridge(
      {
        [mailboxId]: bridgeMailbox([{ folder, invite: [alice.userId] }], {
          lists: [{ list_id: cfgList, room: cfgRoom }],
        }),
      },
      { provisioningSecret: SECRET },
    );
    folderRoom = await joinAlias(alice, `#email_${mailboxId}:localhost`);
    devRoom = (
      await asUser<{ room_id: string }>(alice, 'POST', '/_matrix/client/v3/createRoom', {
        name: 'Dev list',
        preset: 'public_chat',
        invite: [BOT],
      })
    ).room_id;
    await asUser(mallory, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(devRoom)}`, {});
    dm = await managementRoom(alice);
  });

  afterAll(async () => {
    await bridge?.stop();
  });

  it('`link email list:…` is refused below power level 50, and (before it is recorded) to a mailbox that does not exist', async () => {
    const mdm = await managementRoom(mallory);
    expect(
      await command(mallory, mdm, `link email list:${mailboxId}:${devList} ${devRoom}`),
    ).toMatch(/power level 50/);
    // Refused before anything is recorded (validateLink): there is nothing to unlink.
    expect(await command(alice, dm, `link email list:nope:${devList} ${devRoom}`)).toMatch(
      /^`link` failed: email cannot link `list:nope:[^`]+`: there is no mailbox "nope"/,
    );
    expect(await command(alice, dm, `unlink email list:nope:${devList}`)).toBe(
      `email list:nope:${devList} was not linked.`,
    );
    const refused = await provision('POST', '/portals', {
      bridge: 'email',
      remote_id: `folder:${mailboxId}:Other`,
      room_id: devRoom,
    });
    expect(refused.status).toBe(400);
    expect(String(refused.json.error)).toMatch(/links a room to a mailing list/);
    const portals = (await provision('GET', '/portals?bridge=email')).json.portals as {
      room_id: string;
    }[];
    expect(portals.map((p) => p.room_id)).not.toContain(devRoom);
  });

  it("linked by its creator, the room gets the list's mail; other mail stays in the folder's room", async () => {
    expect(await command(alice, dm, `link email list:${mailboxId}:${devList} ${devRoom}`)).toBe(
      `Linked ${devRoom} to email list:${mailboxId}:${devList}.`,
    );
    await listMail(devList, `Dev news ${t}`);
    await sendMail(
      { from: 'dave@localhost', to, subject: `Direct ${t}`, text: `Direct ${t}` },
      { lmtp: true },
    );
    const root = await seen(devRoom, (e) => body(e).includes(`Dev news ${t}`), 'the list mail');
    expect(root.sender).toBe('@email_carol=40localhost:localhost');
    await seen(folderRoom, (e) => body(e).includes(`Direct ${t}`), 'the other mail');
    expect(
      (await events(alice, folderRoom)).filter((e) => body(e).includes(`Dev news ${t}`)),
    ).toEqual([]);

    // An answer in the thread and a new top-level mail both go to the list (its List-Post).
    await sendAs(alice, devRoom, {
      msgtype: 'm.text',
      body: `Answer to the list ${t}`,
      'm.relates_to': { rel_type: 'm.thread', event_id: root.event_id, is_falling_back: true },
    });
    const answer = await waitForMail(
      'bob',
      (m) => (m.text ?? '').includes(`Answer to the list ${t}`),
      'the answer',
    );
    expect(answer.subject).toBe(`Re: Dev news ${t}`);
    await sendText(alice, devRoom, `New topic ${t}\nfor the list`);
    const started = await waitForMail('bob', (m) => m.subject === `New topic ${t}`, 'the new mail');
    expect(started.to && [started.to].flat()[0]?.value[0]?.address).toBe('bob@localhost');
  });

  it('the provisioning API links another list; a list room from the config gets its mail; unlink gives the mail back to the folder', async () => {
    const opsRoom = (
      await asUser<{ room_id: string }>(alice, 'POST', '/_matrix/client/v3/createRoom', {
        name: 'Ops list',
        invite: [BOT],
      })
    ).room_id;
    const linked = await provision('POST', '/portals', {
      bridge: 'email',
      remote_id: `list:${mailboxId}:${opsList}`,
      room_id: opsRoom,
    });
    expect(linked.status).toBe(201);
    await listMail(opsList, `Ops news ${t}`);
    await seen(opsRoom, (e) => body(e).includes(`Ops news ${t}`), 'the ops list mail');

    await listMail(cfgList, `Config list ${t}`);
    await seen(cfgRoom, (e) => body(e).includes(`Config list ${t}`), 'the config list mail');

    expect(await command(alice, dm, `unlink email list:${mailboxId}:${devList}`)).toBe(
      `Unlinked ${devRoom} from email list:${mailboxId}:${devList}.`,
    );
    await listMail(devList, `After unlink ${t}`);
    await seen(
      folderRoom,
      (e) => body(e).includes(`After unlink ${t}`),
      'the list mail in the folder room',
    );
    expect(
      (await events(alice, devRoom)).filter((e) => body(e).includes(`After unlink ${t}`)),
    ).toEqual([]);
  });
});
