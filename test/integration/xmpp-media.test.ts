// Files from XMPP through the XMPP bridge, against real Prosody (XEP-0363 HTTP upload by
// mod_http_file_share) and Synapse: an XMPP user uploads a file to the server's upload service
// and sends its link with XEP-0066 out-of-band data; the Matrix user gets Matrix media (m.image
// with its mimetype, the same bytes), in a chat and in a MUC. A file over the bridge's size cap
// stays a link.
import { randomBytes } from 'node:crypto';
import { xml } from '@xmpp/xml';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { joinAlias, roomEvents, type RoomEvent } from '../support/bridge-harness.js';
import { requireSynapse, waitFor, type TestUser } from '../support/synapse.js';
import { joinDmRoom, matrixUser, xmppScope } from '../support/xmpp-scope.js';
import {
  ghostOf,
  inRoom,
  joinMuc,
  matrixJid,
  MUC_HOST,
  type XmppUser,
} from '../support/xmpp-user.js';

const UPLOAD = 'urn:xmpp:http:upload:0';
// A 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

/** XEP-0363: a slot from the server's upload service, the file PUT there; returns the GET URL. */
async function upload(user: XmppUser, name: string, type: string, data: Buffer): Promise<string> {
  const answer = await user.client.iqCaller.request(
    xml(
      'iq',
      { type: 'get', to: 'upload.localhost' },
      xml('request', {
        xmlns: UPLOAD,
        filename: name,
        size: String(data.length),
        'content-type': type,
      }),
    ),
  );
  const slot = answer.getChild('slot', UPLOAD)!;
  const put = slot.getChild('put')!;
  const headers: Record<string, string> = { 'content-type': type };
  for (const h of put.getChildren('header')) headers[h.attrs.name!] = h.getText();
  const res = await fetch(put.attrs.url!, { method: 'PUT', headers, body: new Uint8Array(data) });
  if (!res.ok) throw new Error(`upload PUT ${res.status}`);
  return slot.getChild('get')!.attrs.url!;
}

const withFile = (type: 'chat' | 'groupchat', to: string, url: string) =>
  xml(
    'message',
    { type, to },
    xml('body', {}, url),
    xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, url)),
  );

async function mxcBytes(user: TestUser, mxc: string): Promise<Buffer> {
  const { hsUrl } = requireSynapse();
  const [server, id] = mxc.slice('mxc://'.length).split('/');
  const res = await fetch(`${hsUrl}/_matrix/client/v1/media/download/${server}/${id}`, {
    headers: { authorization: `Bearer ${user.accessToken}` },
  });
  if (!res.ok) throw new Error(`download ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

describe('files from XMPP become Matrix media (Prosody HTTP upload + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const room = `files${suffix}@${MUC_HOST}`;
  const connector = new XmppConnector();
  const scope = xmppScope();
  let matt: TestUser;
  let alice: XmppUser;
  let carol: XmppUser;
  let dmRoom: string;
  const mattNick = `Matt ${suffix}`;

  const find = (roomId: string, pred: (e: RoomEvent) => boolean, what: string) =>
    waitFor(async () => (await roomEvents(matt, roomId)).find(pred), 20_000, what);

  beforeAll(async () => {
    requireSynapse();
    if (!process.env.SWITCHBOARD_TEST_XMPP_HTTP_PORT)
      throw new Error('Prosody HTTP upload is not running: run `npm test`, which starts it');
    [alice, carol] = await Promise.all([
      scope.user('alice', 'files'),
      scope.user('carol', 'files'),
    ]);
    // The upload service is on loopback here: the bridge may fetch from it.
    await scope.bridge(connector, {
      media: { allow_private_addresses: true, max_bytes: 4096 },
    });
    matt = await matrixUser('matt', mattNick);
  });

  it('an uploaded image sent in a chat arrives as m.image with its mimetype and bytes', async () => {
    const url = await upload(alice, 'dot.png', 'image/png', PNG);
    await alice.send(withFile('chat', matrixJid(matt.userId), url));
    dmRoom = await joinDmRoom(connector, 'alice@localhost', matt);
    const image = await find(
      dmRoom,
      (e) => e.sender === ghostOf('alice@localhost') && e.type === 'm.room.message',
      'the image',
    );
    expect(image.content).toMatchObject({
      msgtype: 'm.image',
      body: 'dot.png',
      info: { mimetype: 'image/png', size: PNG.length },
    });
    expect(await mxcBytes(matt, image.content.url as string)).toEqual(PNG);
  });

  it('a file over the size cap stays a link', async () => {
    const big = randomBytes(8192);
    const url = await upload(alice, 'big.bin', 'application/octet-stream', big);
    await alice.send(withFile('chat', matrixJid(matt.userId), url));
    const link = await find(
      dmRoom,
      (e) => e.sender === ghostOf('alice@localhost') && e.content.body === url,
      'the link',
    );
    expect(link.content.msgtype).toBe('m.text');
  });

  it('a file sent in a MUC arrives in its room as Matrix media', async () => {
    await joinMuc(carol, room, 'Carol');
    const roomId = await joinAlias(matt, `#xmpp_files${suffix}=40${MUC_HOST}:localhost`);
    await carol.expect((el) => inRoom(el, `${room}/${mattNick}`), 'matt in the MUC');
    const notes = Buffer.from('meeting notes\n');
    const url = await upload(carol, 'notes.txt', 'text/plain', notes);
    await carol.send(withFile('groupchat', room, url));
    const file = await find(
      roomId,
      (e) => e.sender === ghostOf(`${room}/Carol`) && e.type === 'm.room.message',
      'the file',
    );
    expect(file.content).toMatchObject({
      msgtype: 'm.file',
      body: 'notes.txt',
      info: { mimetype: 'text/plain' },
    });
    expect(await mxcBytes(matt, file.content.url as string)).toEqual(notes);
  });
});
