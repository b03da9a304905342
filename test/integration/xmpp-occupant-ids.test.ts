// XEP-0421 occupant-ids across a restart of the XMPP bridge, against real Prosody and Synapse: an
// XMPP occupant who changed nick keeps the ghost they had (named by their first nick) after the
// bridge restarts, instead of becoming a new ghost under the new nick; the ids are kept in the
// bridge's store.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { xml } from '@xmpp/xml';
import { beforeAll, describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import type { Switchboard } from '../../src/core/switchboard.js';
import { roomEvents } from '../support/bridge-harness.js';
import { requireSynapse, type TestUser } from '../support/synapse.js';
import { enterMuc, matrixUser, memberIn, said, xmppScope } from '../support/xmpp-scope.js';
import {
  ghostOf,
  groupchat,
  inRoom,
  joinMuc,
  MUC_HOST,
  type XmppUser,
} from '../support/xmpp-user.js';

describe('XEP-0421 occupant-ids kept across a bridge restart (Prosody + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const room = `oid${suffix}@${MUC_HOST}`;
  const database = join(mkdtempSync(join(tmpdir(), 'sb-oid-')), 'switchboard.db');
  const connector = new XmppConnector();
  const scope = xmppScope();
  const carolGhost = ghostOf(`${room}/Carol`);
  let bridge: Switchboard;
  let matt: TestUser;
  let carol: XmppUser;
  let roomId: string;
  const mattNick = `Matt ${suffix}`;

  beforeAll(async () => {
    requireSynapse();
    carol = await scope.user('carol', 'oid');
    await joinMuc(carol, room, 'Carol');
    bridge = await scope.bridge(connector, {}, { database });
    matt = await matrixUser('matt', mattNick);
    roomId = await enterMuc(matt, room, mattNick, carol);
    await memberIn(matt, roomId, carolGhost, 'join', "Carol's ghost in the room");
  });

  it('an occupant who renamed is the same ghost after the bridge restarts', async () => {
    await carol.send(xml('presence', { to: `${room}/Caroline` }));
    await carol.expect((el) => inRoom(el, `${room}/Caroline`), 'Carol as Caroline');
    await carol.send(groupchat(room, 'renamed'));
    await said(matt, roomId, carolGhost, 'renamed');

    await bridge.stop();
    const heard = carol.heard.length;
    bridge = await scope.bridge(connector, {}, { database });
    // Matt's occupant is back in the room (the bridge read the room's presences as it joined).
    await carol.expect(
      (el) => carol.heard.indexOf(el) >= heard && inRoom(el, `${room}/${mattNick}`),
      "Matt's occupant back",
    );
    await carol.send(groupchat(room, 'after the restart'));
    await said(matt, roomId, carolGhost, 'after the restart');
    const events = await roomEvents(matt, roomId);
    expect(events.some((e) => e.sender === ghostOf(`${room}/Caroline`))).toBe(false);
  });
});
