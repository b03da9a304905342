/**
 * Requests a connection makes and waits for the server's answer to: a JOIN (confirmed by the
 * server's JOIN), a nick change (the new nick, or the server's reason for refusing it) and WHOIS.
 * All go through flood control.
 */
import { BridgeError } from '../../../src/connector.js';
import type { IrcConnection } from './connection.js';

/** A labeled line answers one of our message lines (labels.ts), never an unlabeled request here. */
const answersLabel = (line: string) => /^@(?:\S*;)?label=/.test(line);

const ANSWER_TIMEOUT_MS = 10_000;
/** Numerics that refuse a NICK: none given, erroneous, in use, collision, unavailable, too fast, restricted. */
const NICK_ERRORS = new Set(['431', '432', '433', '436', '437', '438', '447', '484']);

/** Resolves when the server confirms the connection joined `channel`; rejects (retriable) after `timeoutMs`. */
export function joinConfirmed(
  conn: IrcConnection,
  channel: string,
  timeoutMs: number,
): Promise<void> {
  const lower = channel.toLowerCase();
  return new Promise<void>((resolve, reject) => {
    const onJoin = (e: { nick: string; channel: string }) => {
      if (!conn.isMe(e.nick) || e.channel.toLowerCase() !== lower) return;
      clearTimeout(timer);
      conn.client.off('join', onJoin);
      resolve();
    };
    const timer = setTimeout(() => {
      conn.client.off('join', onJoin);
      reject(new BridgeError('not-connected', `could not join ${channel} on IRC`, true));
    }, timeoutMs);
    conn.client.on('join', onJoin);
  });
}

export type NickResult = { ok: true; nick: string } | { ok: false; reason: string };

/** Sends `NICK nick` and resolves with the nick the server gave, or its refusal. */
export function changeNick(conn: IrcConnection, nick: string): Promise<NickResult> {
  const client = conn.client;
  const before = conn.nick;
  return new Promise((resolve, reject) => {
    const done = (result: NickResult) => {
      clearTimeout(timer);
      client.off('nick', onNick);
      client.off('raw', onRaw);
      resolve(result);
    };
    const onNick = (e: { nick: string; new_nick: string }) => {
      if (e.nick.toLowerCase() === before.toLowerCase()) done({ ok: true, nick: e.new_nick });
    };
    const onRaw = (e: { line: string; from_server: boolean }) => {
      if (!e.from_server || answersLabel(e.line)) return;
      // [@tags] :server <numeric> <me> [<nick>] :reason
      const m = /^(?:@\S+ )?:\S+ (\d{3}) \S+ (?:(\S+) )?:?(.*)$/.exec(e.line.trimEnd());
      if (m && NICK_ERRORS.has(m[1]!)) done({ ok: false, reason: m[3] || `refused (${m[1]})` });
    };
    const timer = setTimeout(() => {
      client.off('nick', onNick);
      client.off('raw', onRaw);
      reject(new Error('the IRC server did not answer the nick change in time'));
    }, ANSWER_TIMEOUT_MS);
    client.on('nick', onNick);
    client.on('raw', onRaw);
    conn.writeLines([`NICK ${nick}`]).catch((err: unknown) => {
      clearTimeout(timer);
      client.off('nick', onNick);
      client.off('raw', onRaw);
      reject(err as Error);
    });
  });
}

/** What irc-framework gathers from a WHOIS reply (fields the server did not send are absent). */
export interface WhoisReply {
  nick: string;
  error?: string;
  ident?: string;
  hostname?: string;
  real_name?: string;
  server?: string;
  server_info?: string;
  channels?: string;
  account?: string;
  away?: string;
  idle?: string;
  operator?: string;
  secure?: boolean;
}

export function whois(conn: IrcConnection, nick: string): Promise<WhoisReply> {
  const client = conn.client;
  return new Promise((resolve, reject) => {
    const onWhois = (e: WhoisReply) => {
      if (e.nick.toLowerCase() !== nick.toLowerCase()) return;
      clearTimeout(timer);
      client.off('whois', onWhois);
      resolve(e);
    };
    const timer = setTimeout(() => {
      client.off('whois', onWhois);
      reject(new Error('the IRC server did not answer the WHOIS in time'));
    }, ANSWER_TIMEOUT_MS);
    client.on('whois', onWhois);
    conn.writeLines([`WHOIS ${nick}`]).catch((err: unknown) => {
      clearTimeout(timer);
      client.off('whois', onWhois);
      reject(err as Error);
    });
  });
}

/** One line about a WHOIS reply, for the management room. */
export function describeWhois(w: WhoisReply): string {
  if (w.error || !w.ident) return `${w.nick} is not on IRC now.`;
  const parts = [
    `${w.nick} is ${w.ident}@${w.hostname ?? '?'}${w.real_name ? ` (${w.real_name})` : ''}`,
  ];
  if (w.account) parts.push(`logged in as ${w.account}`);
  if (w.channels) parts.push(`on ${w.channels}`);
  if (w.server) parts.push(`via ${w.server}${w.server_info ? ` (${w.server_info})` : ''}`);
  if (w.idle) parts.push(`idle ${w.idle} s`);
  if (w.operator) parts.push(w.operator);
  if (w.secure) parts.push('using TLS');
  if (w.away) parts.push(`away: ${w.away}`);
  return `${parts.join('; ')}.`;
}

/** Numerics that refuse a KICK, MODE or TOPIC: no such nick/channel, not on it, not an operator. */
const CHANNEL_OP_ERRORS = new Set(['401', '403', '441', '442', '482']);

/**
 * Writes `lines` and resolves when the client emits `event` with a payload `confirms` accepts;
 * rejects with the server's reason for one of CHANNEL_OP_ERRORS as a BridgeError (`what` failed).
 * No answer at all is a failure, unless `silenceIsDone` (a server says nothing to a no-op).
 */
function channelOp<E>(
  conn: IrcConnection,
  lines: string[],
  event: string,
  confirms: (e: E) => boolean,
  what: string,
  silenceIsDone = false,
): Promise<void> {
  const client = conn.client;
  return new Promise((resolve, reject) => {
    const finish = (err?: Error) => {
      clearTimeout(timer);
      client.off(event, onEvent);
      client.off('raw', onRaw);
      if (err) reject(err);
      else resolve();
    };
    const onEvent = (e: E) => confirms(e) && finish();
    const onRaw = (e: { line: string; from_server: boolean }) => {
      if (!e.from_server || answersLabel(e.line)) return;
      const m = /^(?:@\S+ )?:\S+ (\d{3}) \S+ (?:\S+ )*?:(.*)$/.exec(e.line.trimEnd());
      if (m && CHANNEL_OP_ERRORS.has(m[1]!))
        finish(new BridgeError('rejected', `IRC refused to ${what}: ${m[2]}`));
    };
    const timer = setTimeout(
      () =>
        silenceIsDone
          ? finish()
          : finish(new BridgeError('network', `the IRC server did not answer (${what})`, true)),
      ANSWER_TIMEOUT_MS,
    );
    client.on(event, onEvent);
    client.on('raw', onRaw);
    conn.writeLines(lines).catch((err: unknown) => finish(err as Error));
  });
}

/** One line of text from Matrix for an IRC parameter: line breaks become spaces. */
const oneLine = (text: string, max: number) => text.replace(/[\r\n\0]+/g, ' ').slice(0, max);

/** The ban mask a Matrix ban of `nick`'s ghost sets (and its unban lifts). */
const banMask = (nick: string) => `${nick}!*@*`;

/** Kicks `nick` from `channel` (banning `nick!*@*` first when asked), once the server confirms. */
export function kick(
  conn: IrcConnection,
  channel: string,
  nick: string,
  reason: string,
  ban: boolean,
): Promise<void> {
  const lines = [
    ...(ban ? [`MODE ${channel} +b ${banMask(nick)}`] : []),
    `KICK ${channel} ${nick} :${oneLine(reason, 300)}`,
  ];
  return channelOp<{ kicked: string; channel: string }>(
    conn,
    lines,
    'kick',
    (e) => e.kicked.toLowerCase() === nick.toLowerCase() && e.channel.toLowerCase() === channel,
    `${ban ? 'ban' : 'kick'} ${nick}`,
  );
}

/**
 * Lifts the ban a Matrix ban set (`-b nick!*@*`), once the server echoes the MODE; a server that
 * had no such ban says nothing, so silence is done too.
 */
export function unban(conn: IrcConnection, channel: string, nick: string): Promise<void> {
  const mask = banMask(nick).toLowerCase();
  return channelOp<{ target: string; modes: { mode: string; param?: string }[] }>(
    conn,
    [`MODE ${channel} -b ${banMask(nick)}`],
    'mode',
    (e) =>
      e.target.toLowerCase() === channel &&
      e.modes.some((m) => m.mode === '-b' && m.param?.toLowerCase() === mask),
    `unban ${nick}`,
    true,
  );
}

/** Sets `channel`'s topic, once the server confirms. */
export function setTopic(conn: IrcConnection, channel: string, topic: string): Promise<void> {
  return channelOp<{ channel: string; nick?: string }>(
    conn,
    [`TOPIC ${channel} :${oneLine(topic, 390)}`],
    'topic',
    (e) => e.channel.toLowerCase() === channel && e.nick !== undefined && conn.isMe(e.nick),
    `set the topic of ${channel}`,
  );
}
