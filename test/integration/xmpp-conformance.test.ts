// The XMPP bridge runs the connector conformance kit (test/conformance/) through real Synapse
// and Prosody. Each portal is a new MUC on conference.localhost that the XMPP user dave sits in:
// what dave got from the Matrix users' occupants is what the network received (messages are
// named by the room's stanza-ids, as XMPP clients name them in replies, reactions and
// retractions; a XEP-0308 correction names the message's own id, which the probe maps back).
// The direct chat is the Matrix user's with dave's ghost: what dave got from the user's address.
import { randomBytes } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import { afterAll } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { asUser } from '../support/bridge-harness.js';
import {
  runConnectorConformance,
  startDirectChat,
  type NetworkMessage,
} from '../conformance/connector-conformance.js';
import {
  chat,
  COMPONENT,
  ghostOf,
  groupchat,
  joinMuc,
  matrixJid,
  MUC_HOST,
  startXmppBridge,
  xmppUser,
  type XmppUser,
} from '../support/xmpp-user.js';

const NS = {
  sid: 'urn:xmpp:sid:0',
  correct: 'urn:xmpp:message-correct:0',
  retract: 'urn:xmpp:message-retract:1',
  reactions: 'urn:xmpp:reactions:0',
  reply: 'urn:xmpp:reply:0',
  markers: 'urn:xmpp:chat-markers:0',
};

let dave: Promise<XmppUser> | undefined;
const observer = () => (dave ??= xmppUser('dave', `conformance${randomBytes(3).toString('hex')}`));
/** Portal room → its MUC. */
const mucs = new Map<string, string>();
/** Direct chat room → the Matrix user's address on XMPP. */
const directChats = new Map<string, string>();

afterAll(async () => {
  await (await dave)?.stop();
});

/** What dave got in the MUC from Matrix users' occupants, as the kit reads a network. */
function received(user: XmppUser, room: string): NetworkMessage[] {
  const fromMatrix = user.heard.filter(
    (el) =>
      el.name === 'message' &&
      el.attrs.type === 'groupchat' &&
      el.attrs.from?.startsWith(`${room}/`) &&
      el.attrs.from !== `${room}/Dave`,
  );
  const stanzaId = (el: Element) =>
    el.getChildren('stanza-id', NS.sid).find((s) => s.attrs.by === room)?.attrs.id;
  const byOwnId = new Map(fromMatrix.map((el) => [el.attrs.id, stanzaId(el)]));
  const out: NetworkMessage[] = [];
  for (const el of fromMatrix) {
    const body = el.getChildText('body') ?? undefined;
    const retract = el.getChild('retract', NS.retract)?.attrs.id;
    const reactions = el.getChild('reactions', NS.reactions);
    const replaces = el.getChild('replace', NS.correct)?.attrs.id;
    const reply = el.getChild('reply', NS.reply)?.attrs.id;
    const displayed = el.getChild('displayed', NS.markers)?.attrs.id;
    if (displayed && body === undefined) out.push({ kind: 'receipt', target: displayed });
    else if (retract) out.push({ kind: 'delete', target: retract });
    else if (reactions)
      for (const r of reactions.getChildren('reaction'))
        out.push({ kind: 'reaction', text: r.getText(), target: reactions.attrs.id! });
    else if (body !== undefined && replaces)
      out.push({ kind: 'edit', text: body, target: byOwnId.get(replaces) ?? replaces });
    else if (body !== undefined)
      out.push({
        kind: 'message',
        text: body,
        ...(stanzaId(el) ? { id: stanzaId(el)! } : {}),
        ...(reply ? { target: reply } : {}),
      });
  }
  return out;
}

/** What dave got from the Matrix user's address in their direct chat. */
const receivedDirect = (user: XmppUser, from: string): NetworkMessage[] =>
  user.heard
    .filter((el) => el.name === 'message' && el.attrs.from?.split('/')[0] === from)
    .flatMap((el) => {
      const text = el.getChildText('body');
      return text === null ? [] : [{ kind: 'message' as const, text, id: el.attrs.id }];
    });

runConnectorConformance({
  name: 'xmpp (Prosody MUC)',
  start: ({ database }) => startXmppBridge(new XmppConnector(), {}, { database }),
  openPortal: async (user) => {
    const local = `conf${randomBytes(5).toString('hex')}`;
    const room = `${local}@${MUC_HOST}`;
    const d = await observer();
    await joinMuc(d, room, 'Dave');
    const { room_id: roomId } = await asUser<{ room_id: string }>(
      user,
      'POST',
      `/_matrix/client/v3/join/${encodeURIComponent(`#xmpp_${local}=40${MUC_HOST}:localhost`)}`,
      {},
    );
    mucs.set(roomId, room);
    // The Matrix user's occupant is in the MUC before the kit starts talking.
    await d.expect(
      (el) =>
        el.name === 'presence' &&
        !!el.attrs.from?.startsWith(`${room}/`) &&
        el.attrs.type !== 'unavailable' &&
        el.attrs.from !== `${room}/Dave`,
      `the Matrix user's occupant in ${room} (component ${COMPONENT})`,
    );
    return roomId;
  },
  openDirectChat: async (user) => {
    const d = await observer();
    const roomId = await startDirectChat(user, ghostOf(d.jid.split('/')[0]!));
    directChats.set(roomId, matrixJid(user.userId));
    return roomId;
  },
  network: {
    received: async (roomId) => {
      const from = directChats.get(roomId);
      const d = await observer();
      return from ? receivedDirect(d, from) : received(d, mucs.get(roomId)!);
    },
    say: async (roomId, text) => {
      const to = directChats.get(roomId);
      const d = await observer();
      await d.send(to ? chat(d.jid, to, text) : groupchat(mucs.get(roomId)!, text));
    },
  },
  capabilities: {
    edits: true,
    redactions: true,
    reactions: true,
    replies: true,
    threads: false,
    receipts: true,
  },
  refusedLinkOption: {
    bridge: 'xmpp',
    remoteId: `muc/linkable@${MUC_HOST}`,
    refused: { password: 'two\nlines' },
  },
  skip: [
    {
      tests: ['refused-message'],
      reason:
        'no text makes an XMPP server refuse a message (a MUC refuses by role, e.g. a visitor in a moderated room)',
    },
    { tests: ['calls'], reason: 'XMPP calls (Jingle) are not bridged' },
  ],
});
