// The IRC bridge runs the connector conformance kit (test/conformance/) through real Synapse and
// InspIRCd. Each portal is a new channel that the probe, a plain irc-framework client, joined
// first: what it heard there from the Matrix user's puppet is what the network received (named by
// the server's msgid; a reply's `+draft/reply` is its target), and the bridge bot's NOTICEs to it
// about that channel are bounces. Direct chats are private messages: each has a probe of its own
// (one conversation per nick), which hears the puppet's PMs and answers them; so has the portal
// for calls, the PM room the bridge made when its probe wrote to the puppet.
import { randomBytes } from 'node:crypto';
import { afterAll } from 'vitest';
import { IrcConnector } from '../../bridges/irc/index.js';
import {
  runConnectorConformance,
  startDirectChat,
  type NetworkMessage,
} from '../conformance/connector-conformance.js';
import {
  defaultPuppetNick,
  ircUser,
  joinPmRoom,
  startIrcBridge,
  type Heard,
  type IrcUser,
} from '../support/irc-user.js';
import { joinChannelRoom } from '../support/irc-scope.js';
import { waitFor, type TestUser } from '../support/synapse.js';

/** InspIRCd's filter refuses any line containing it (test/peers/irc.sh, `<keyword>`). */
const REFUSE = 'REFUSED-BY-IRC';
const suffix = randomBytes(3).toString('hex');
const BOT = `sbconf${suffix}`;
let probes = 0;
/** A fresh nick and channel name for the probes: `<label><suffix><n>`. */
const fresh = (label: string) => `${label}${suffix}${++probes}`;

/** The connector of the running bridge (the restart test starts a new one). */
let connector: IrcConnector | undefined;
/** The probe that joins every portal's channel, connected with the first. */
let channelProbe: Promise<IrcUser> | undefined;
/** Portal room → its channel. */
const channels = new Map<string, string>();
/** Direct chat room → its probe and the Matrix user's puppet it talks with. */
const pms = new Map<string, { probe: IrcUser; puppet: string }>();
const everyone: Promise<IrcUser>[] = [];

afterAll(async () => {
  for (const probe of await Promise.all(everyone)) probe.client.quit('bye');
});

function connect(nick: string, channel: string): Promise<IrcUser> {
  const probe = ircUser(nick, channel);
  everyone.push(probe);
  return probe;
}

/** The channel probe, in `channel`: connected to it the first time, joining it later. */
async function probeIn(channel: string): Promise<IrcUser> {
  if (!channelProbe) return (channelProbe = connect(fresh('Probe'), channel));
  const probe = await channelProbe;
  const nick = probe.client.user.nick;
  await new Promise<void>((resolve) => {
    const joined = (e: { nick: string; channel: string }) => {
      if (e.nick !== nick || e.channel.toLowerCase() !== channel) return;
      probe.client.off('join', joined);
      resolve();
    };
    probe.client.on('join', joined);
    probe.client.join(channel);
  });
  return probe;
}

const asMessage = (e: Heard): NetworkMessage => ({
  kind: 'message',
  text: e.message,
  ...(e.tags?.msgid ? { id: e.tags.msgid } : {}),
  ...(e.tags?.['+draft/reply'] ? { target: e.tags['+draft/reply'] } : {}),
});

/** The bot's NOTICEs to `probe` about `where` (`Your message to #chan was not delivered to Matrix…`). */
const bounces = (probe: IrcUser, where: string): NetworkMessage[] =>
  probe.heard
    .filter(
      (e) =>
        e.type === 'notice' &&
        e.nick === BOT &&
        e.message.toLowerCase().startsWith(`your message to ${where.toLowerCase()} `),
    )
    .map((e) => ({ kind: 'bounce', text: e.message }));

/** What the probe heard in `channel` from anyone else, then the bounces about it. */
function heardInChannel(probe: IrcUser, channel: string): NetworkMessage[] {
  const inChannel = probe.heard.filter(
    (e) => e.target.toLowerCase() === channel && e.nick !== probe.client.user.nick,
  );
  return [...inChannel.map(asMessage), ...bounces(probe, channel)];
}

/** What the probe heard privately from the puppet, then the bounces about the puppet. */
function heardInPm(probe: IrcUser, puppet: string): NetworkMessage[] {
  const fromPuppet = probe.heard.filter(
    (e) => e.nick === puppet && e.target === probe.client.user.nick,
  );
  return [...fromPuppet.map(asMessage), ...bounces(probe, puppet)];
}

/** A new channel with the probe in it (its operator), and `user` in its room. */
async function openChannelPortal(user: TestUser): Promise<{ roomId: string; channel: string }> {
  const channel = `#${fresh('conf')}`;
  await probeIn(channel);
  const roomId = await joinChannelRoom(user, channel);
  channels.set(roomId, channel);
  return { roomId, channel };
}

runConnectorConformance({
  name: 'irc (InspIRCd)',
  start: ({ database }) => {
    connector = new IrcConnector();
    // Flood control stays on (lines wait in its ordered bucket), at a pace the test server allows:
    // at the default 2 lines/s the bursts alone would take half a minute.
    return startIrcBridge(
      { bot_nick: BOT, flood: { lines_per_second: 20, burst: 10 } },
      connector,
      { database },
    );
  },
  openPortal: async (user) => (await openChannelPortal(user)).roomId,
  // A PM room the bridge made when an IRC user wrote to the user's puppet: invite-only, the bot in it.
  openCallPortal: async (user) => {
    const puppet = defaultPuppetNick(user.userId);
    const nick = fresh('Caller');
    const probe = await connect(nick, `#${fresh('callers')}`);
    // Joining a channel's room puts the user's puppet on IRC, for the probe to write to.
    const { channel } = await openChannelPortal(user);
    const inChannel = await channelProbe!;
    await waitFor(
      async () =>
        (await inChannel.names(channel)).some((n) => n.replace(/^[~&@%+]+/, '') === puppet),
      20_000,
      `${puppet} in ${channel}`,
    );
    probe.client.say(puppet, 'may I call you?');
    const roomId = await joinPmRoom(connector!, user, nick);
    pms.set(roomId, { probe, puppet });
    return roomId;
  },
  // A direct chat the user started with a probe's ghost: their conversation with its nick.
  openDirectChat: async (user) => {
    const nick = fresh('Friend');
    const probe = await connect(nick, `#${fresh('friends')}`);
    const roomId = await startDirectChat(user, `@irc_test_${nick.toLowerCase()}:localhost`);
    pms.set(roomId, { probe, puppet: defaultPuppetNick(user.userId) });
    return roomId;
  },
  network: {
    received: async (roomId) => {
      const pm = pms.get(roomId);
      if (pm) return heardInPm(pm.probe, pm.puppet);
      return heardInChannel(await channelProbe!, channels.get(roomId)!);
    },
    say: async (roomId, text) => {
      const pm = pms.get(roomId);
      if (pm) return pm.probe.client.say(pm.puppet, text);
      (await channelProbe!).client.say(channels.get(roomId)!, text);
    },
  },
  capabilities: {
    edits: false,
    redactions: false,
    reactions: false,
    // `+draft/reply` names the msgid of an IRC user's message; a reply to a Matrix user's message
    // (what the kit sends) is the quote alone: `<alice[m]> "the original…" <- the reply`.
    replies: false,
    threads: false,
    calls: false,
    bounces: true,
  },
  refuse: REFUSE,
  skip: [
    {
      tests: ['edits'],
      reason:
        'IRC has no edits: the bridge says the new text again as `* new text` (bridges/irc/README.md), which points at no message (not a claimed edit) and is not a "not supported" notice either',
    },
  ],
});
