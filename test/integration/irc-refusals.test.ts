// Messages IRC refuses reach the Matrix sender as a failure instead of vanishing, against real
// InspIRCd (which offers IRCv3 labeled-response) and Synapse: a channel op sets +m, or bans the
// puppet, or a PM's nick is gone; the sender gets a message status and a notice with IRC's reason,
// while the messages IRC took get none. Relay mode: the same for the bot's lines.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { IrcConnector } from '../../bridges/irc/index.js';
import {
  replyTarget,
  roomEvents,
  sendAs,
  sendText,
  type RoomEvent,
} from '../support/bridge-harness.js';
import { ircUser, type IrcUser, joinPmRoom, heardFrom } from '../support/irc-user.js';
import { ircScope, joinChannelRoom } from '../support/irc-scope.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

const MODERATED = 'You cannot send messages to this channel whilst the +m (moderated) mode is set';
/** An IRC line (raw lines keep their CR LF) without the colon of its last parameter (InspIRCd writes `+b :mask`). */
const flat = (line: string) => line.trimEnd().replaceAll(' :', ' ');

/** Failure notices (and message statuses) the bridge sent about the user's events, by event id. */
async function failures(user: TestUser, roomId: string) {
  const events = await roomEvents(user, roomId);
  const notices = new Map<string, RoomEvent>();
  const statuses = new Map<string, RoomEvent>();
  for (const e of events) {
    const target = replyTarget(e);
    if (e.content.msgtype === 'm.notice' && target) notices.set(target, e);
    const ref = e.content['m.relates_to'] as { event_id?: string } | undefined;
    if (e.type === 'com.beeper.message_send_status' && ref?.event_id) statuses.set(ref.event_id, e);
  }
  return { notices, statuses };
}

/** An op's MODE change, once the server has applied it (the op hears it back). */
async function setMode(op: IrcUser, channel: string, change: string): Promise<void> {
  op.client.raw(`MODE ${channel} ${change}`);
  await waitFor(
    () => op.raw.find((l) => / MODE /.test(l) && flat(l).endsWith(`${channel} ${change}`)),
    10_000,
    `MODE ${change}`,
  );
}

describe('IRC refusals reach the Matrix sender (InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#refuse${suffix}`;
  const opNick = `Olga${suffix}`;
  const connector = new IrcConnector();
  let alice: TestUser;
  let op: IrcUser;
  let puppetNick: string;
  let roomId: string;

  const opHeard = (body: string) => heardFrom(op, puppetNick, body);
  const noticeFor = (room: string, eventId: string) =>
    waitFor(
      async () => (await failures(alice, room)).notices.get(eventId),
      20_000,
      'the failure notice',
    );

  const scope = ircScope();

  beforeAll(async () => {
    requireSynapse();
    op = await scope.user(opNick, channel); // first in the channel: its operator
    ({ user: alice, puppetNick } = await scope.bridgeAndMatrixUser(
      'alice',
      { bot_nick: `sbr${suffix}` },
      connector,
    ));
    roomId = await joinChannelRoom(alice, channel);
  });

  it('on +m without voice the sender is told IRC refused it; taken messages get no notice', async () => {
    const before = await sendText(alice, roomId, 'before moderation');
    await opHeard('before moderation');
    await setMode(op, channel, '+m');
    const refused = await sendText(alice, roomId, 'while moderated');
    const notice = await noticeFor(roomId, refused);
    expect(notice.sender).toBe('@switchboard:localhost');
    expect(notice.content.body).toBe(
      `⚠️ Not delivered to IRC: IRC refused the message: ${MODERATED}. React with 🔁 to retry.`,
    );
    const { notices, statuses } = await failures(alice, roomId);
    expect(statuses.get(refused)?.content).toMatchObject({ status: 'FAIL', error: 'rejected' });
    // The room's events are handled in order: the refusal's notice came after `before` was done.
    expect(notices.has(before)).toBe(false);
    expect(statuses.has(before)).toBe(false);
    expect(op.heard.some((e) => e.message === 'while moderated')).toBe(false);

    await setMode(op, channel, `+v ${puppetNick}`);
    const voiced = await sendText(alice, roomId, 'with a voice');
    await opHeard('with a voice');
    await setMode(op, channel, `-v ${puppetNick}`);
    const again = await sendText(alice, roomId, 'without it again');
    await noticeFor(roomId, again);
    expect((await failures(alice, roomId)).notices.has(voiced)).toBe(false);
  });

  it('a puppet banned in the channel is told so, and a retry after the unban is said', async () => {
    await setMode(op, channel, '-m');
    await setMode(op, channel, `+b ${puppetNick}!*@*`);
    const refused = await sendText(alice, roomId, 'while banned');
    const notice = await noticeFor(roomId, refused);
    expect(notice.content.body).toBe(
      '⚠️ Not delivered to IRC: IRC refused the message: You cannot send messages to this channel whilst banned. React with 🔁 to retry.',
    );
    await setMode(op, channel, `-b ${puppetNick}!*@*`);
    const after = await sendText(alice, roomId, 'unbanned');
    await opHeard('unbanned');
    expect((await failures(alice, roomId)).notices.has(after)).toBe(false);
    // The refused message is not taken as bridged: the retry reaction sends it again.
    await sendAs(
      alice,
      roomId,
      { 'm.relates_to': { rel_type: 'm.annotation', event_id: notice.event_id, key: '🔁' } },
      'm.reaction',
    );
    await opHeard('while banned');
  });

  it('a PM to a nick that has left IRC is refused with "No such nick"', async () => {
    const carolNick = `Carol${suffix}`;
    const carol = await ircUser(carolNick, `#elsewhere${suffix}`);
    carol.client.say(puppetNick, 'psst');
    const pmRoom = await joinPmRoom(connector, alice, carolNick);
    const quit = new Promise<void>((resolve) => carol.client.once('close', () => resolve()));
    carol.client.quit('gone');
    await quit;
    const refused = await sendText(alice, pmRoom, 'are you still there?');
    const notice = await noticeFor(pmRoom, refused);
    expect(notice.content.body).toBe(
      '⚠️ Not delivered to IRC: IRC refused the message: No such nick. React with 🔁 to retry.',
    );
  });
});

describe('IRC refusals in relay mode: the bot is told too (InspIRCd + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#relayrefuse${suffix}`;
  const botNick = `sbrr${suffix}`;
  const scope = ircScope();
  let dave: TestUser;
  let op: IrcUser;
  let roomId: string;

  beforeAll(async () => {
    requireSynapse();
    op = await scope.user(`Olga${suffix}`, channel);
    await scope.bridge({ mode: 'relay', bot_nick: botNick });
    dave = await registerUser(uniqueLocalpart('dave'), undefined, { displayname: 'Dave' });
    roomId = await joinChannelRoom(dave, channel);
  });

  it("the bot's refused line comes back as a notice to the sender; its taken lines do not", async () => {
    const taken = await sendText(dave, roomId, 'hello from relay');
    await waitFor(
      () => op.heard.find((e) => e.message === '<Dave> hello from relay'),
      20_000,
      'the relayed line',
    );
    await setMode(op, channel, '+m');
    const refused = await sendText(dave, roomId, 'muted');
    const notice = await waitFor(
      async () => (await failures(dave, roomId)).notices.get(refused),
      20_000,
      'the failure notice',
    );
    expect(notice.content.body).toBe(
      `⚠️ Not delivered to IRC: IRC refused the message: ${MODERATED}. React with 🔁 to retry.`,
    );
    expect((await failures(dave, roomId)).notices.has(taken)).toBe(false);
  });
});
