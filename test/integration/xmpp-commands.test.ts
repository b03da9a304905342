// The XMPP bridge's bot commands, typed by a Matrix user in their management room (a direct chat
// with @switchboard:localhost), against real Prosody and Synapse: `xmpp join` bridges a MUC and
// invites them to its room (the same room its alias gives), `xmpp chat` starts a direct chat
// with an XMPP user, both heard both ways; wrong addresses are answered plainly.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { XmppConnector } from '../../bridges/xmpp/index.js';
import { joinAlias, sendText } from '../support/bridge-harness.js';
import { waitFor } from '../support/synapse.js';
import { commandParties, joinWhenInvited, mucAlias, said } from '../support/xmpp-scope.js';
import {
  chat,
  ghostOf,
  groupchat,
  inRoom,
  joinMuc,
  matrixJid,
  MUC_HOST,
} from '../support/xmpp-user.js';

describe('XMPP bot commands (Prosody + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const room = `cmd${suffix}@${MUC_HOST}`;
  const nick = `Nia ${suffix}`;
  const connector = new XmppConnector();
  const parties = commandParties(`cmd${suffix}`, nick, {
    connector,
    before: (carol) => joinMuc(carol, room, 'Carol'),
  });
  const { command } = parties;

  it('`help` lists the XMPP commands', async () => {
    const help = await command('help');
    for (const usage of ['join <room@service>', 'chat <user@server>'])
      expect(help).toContain(`\`xmpp ${usage}\``);
  });

  it('answers a wrong address plainly', async () => {
    expect(await command('xmpp join nothing')).toBe(
      '`nothing` is not a group chat address (like room@conference.example.org).',
    );
    expect(await command(`xmpp join ${room}/Carol`)).toBe(
      `\`${room}/Carol\` names one session: give a group chat address without the \`/…\` part.`,
    );
    expect(await command('xmpp join someone@matrix.localhost')).toBe(
      "someone@matrix.localhost is on this bridge's own domain: not a group chat.",
    );
    expect(await command(`xmpp chat ${matrixJid(parties.nia.userId)}`)).toBe(
      `${matrixJid(parties.nia.userId)} is a Matrix user's address on this bridge: chat on Matrix.`,
    );
    expect(await command('xmpp chat')).toBe('Usage: `xmpp chat <user@server>`');
    // Core's `link`: the bridge takes only a MUC (validateLink), nothing is recorded.
    expect(
      await command(`link xmpp dm/carol@localhost/${parties.nia.userId} ${parties.management}`),
    ).toContain('an XMPP room to link is muc/<room@service>');
  });

  it('`xmpp join` bridges the MUC and invites the user to its room, the one its alias gives', async () => {
    const answer = await command(`xmpp join ${room}`);
    const match = /^(\S+) is bridged to (!\S+) \((#\S+)\): join it there\.$/.exec(answer);
    expect(match, answer).not.toBeNull();
    expect(match![1]).toBe(room);
    expect(match![3]).toBe(mucAlias(room));
    const roomId = match![2]!;
    await joinWhenInvited(parties.nia, roomId);
    await parties.carol.expect((el) => inRoom(el, `${room}/${nick}`), `${nick} in the MUC`);
    await sendText(parties.nia, roomId, 'hello from a command');
    await parties.carol.expect(
      (el) =>
        el.attrs.from === `${room}/${nick}` && el.getChildText('body') === 'hello from a command',
      'the message in the MUC',
    );
    await parties.carol.send(groupchat(room, 'heard you'));
    await said(parties.nia, roomId, ghostOf(`${room}/Carol`), 'heard you');
    expect(await joinAlias(parties.nia, mucAlias(room))).toBe(roomId);
  });

  it('`xmpp chat` starts a direct chat with an XMPP user, heard both ways', async () => {
    const answer = await command('xmpp chat carol@localhost');
    const match = /^Your chat with carol@localhost is (!\S+): you are invited\.$/.exec(answer);
    expect(match, answer).not.toBeNull();
    const roomId = match![1]!;
    expect(
      await connector.roomOf(XmppConnector.dmPortal('carol@localhost', parties.nia.userId)),
    ).toBe(roomId);
    await joinWhenInvited(parties.nia, roomId);
    await sendText(parties.nia, roomId, 'a word in private');
    await waitFor(
      () => parties.carol.bodiesFrom(matrixJid(parties.nia.userId)).includes('a word in private'),
      20_000,
      'the chat message on XMPP',
    );
    await parties.carol.send(
      chat(parties.carol.jid, matrixJid(parties.nia.userId), 'private answer'),
    );
    await said(parties.nia, roomId, ghostOf('carol@localhost'), 'private answer');
    // Asked again: the same chat.
    expect(await command('xmpp chat carol@localhost')).toBe(
      `Your chat with carol@localhost is ${roomId}: you are invited.`,
    );
  });
});
