// Catch-up without a server: which replayed lines are bridged (msgid, server-time, our puppets'
// nicks), when the room is told that the bridge was away (InspIRCd replays, +H windows,
// CHATHISTORY pages), and the marks kept in the kv across a restart. A fake bot connection stands
// in for irc-framework; fake timers for the wait for a replay.
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MessageEvent } from 'irc-framework';
import type { IrcConnection } from '../connection/connection.js';
import { CatchUp, HISTORY_WAIT_MS, type CatchUpConfig } from './catch-up.js';
import { ChannelMarks, catchUpKey } from './marks.js';
import { awayNotice, historyWindowMs } from './notice.js';

const T0 = Date.parse('2026-12-06T08:00:00.000Z');

class FakeBot {
  client = Object.assign(new EventEmitter(), {
    network: {
      cap: { enabled: [] as string[] },
      isupport: {} as Record<string, unknown>,
      supports(f: string): unknown {
        return this.isupport[f];
      },
    },
  });
  written: string[] = [];
  isMe = (nick: string) => nick.toLowerCase() === 'bot';
  writeLines = async (lines: readonly string[]) => void this.written.push(...lines);
}

function memoryKv() {
  const data = new Map<string, unknown>();
  return {
    data,
    get: async <T>(k: string) => structuredClone(data.get(k)) as T | undefined,
    set: async <T>(k: string, v: T) => void data.set(k, structuredClone(v)),
  };
}

let kv: ReturnType<typeof memoryKv>;
let now: number;
let said: { channel: string; text: string }[];
let counted: string[];
let spoke: [string, string[]][];
let bot: FakeBot;
let catchUp: CatchUp;

async function start(config: Partial<CatchUpConfig> = {}) {
  bot = new FakeBot();
  const marks = new ChannelMarks(kv, 'net', (err) => {
    throw err;
  });
  await marks.load();
  catchUp = new CatchUp(
    { id: 'net', bot: bot as unknown as IrcConnection },
    marks,
    { away_notice_seconds: 0, history_limit: 100, ...config },
    {
      hasPortal: () => true,
      say: (channel, text) => said.push({ channel, text }),
      log: pino({ level: 'silent' }),
      now: () => now,
      onReplayed: (outcome) => counted.push(outcome),
      onAwayNotice: () => counted.push('notice'),
      spoke: (channel, nicks) => spoke.push([channel, nicks]),
    },
  );
  catchUp.listen();
}

const line = (text: string, time: number, msgid?: string, batch = false): MessageEvent => ({
  nick: 'dave',
  target: '#chan',
  message: text,
  time,
  tags: { time: new Date(time).toISOString(), ...(msgid ? { msgid } : {}) },
  ...(batch ? { batch: { id: '1', type: 'chathistory', params: ['#chan'] } } : {}),
});

/** A `chathistory` batch of these lines, as irc-framework emits it after handing each line over. */
function replay(lines: MessageEvent[], channel = '#chan'): boolean[] {
  const bridged = lines.map((l) => catchUp.heard({ ...l, target: channel }));
  bot.client.emit('batch end chathistory', {
    type: 'chathistory',
    params: [channel],
    commands: lines.map((l) => ({
      command: 'PRIVMSG',
      params: [channel, l.message],
      tags: l.tags,
    })),
  });
  return bridged;
}

const join = (channel = '#chan') => bot.client.emit('join', { nick: 'bot', channel });

beforeEach(async () => {
  vi.useFakeTimers();
  kv = memoryKv();
  now = T0;
  said = [];
  counted = [];
  spoke = [];
  await start();
});
afterEach(() => vi.useRealTimers());

/** The bridge was in #chan, heard `lines`, and stopped at `stopAt`; it starts again at `back`. */
async function restart(lines: MessageEvent[], stopAt: number, back: number, config = {}) {
  join();
  vi.advanceTimersByTime(HISTORY_WAIT_MS);
  for (const l of lines) catchUp.heard(l);
  now = stopAt;
  await catchUp.stop();
  now = back;
  await start(config);
  join();
}

describe('catch-up: replayed lines', () => {
  it('bridges lines said while away, and drops what was bridged (msgid, older seconds) and our puppets’ lines', async () => {
    await restart([line('old', T0 + 1_500, 'm1')], T0 + 2_000, T0 + 60_000);
    const bridged = replay([
      line('old', T0 + 1_000, 'm1', true), // bridged before (its msgid)
      line('older, no msgid', T0, undefined, true), // an earlier second than the last bridged
      line('same second, no msgid', T0 + 1_000, undefined, true), // cannot tell: dropped
      line('same second, new msgid', T0 + 1_000, 'm2', true), // said after it in that second
      line('meanwhile', T0 + 30_000, 'm3', true),
    ]);
    expect(bridged).toEqual([false, false, false, true, true]);
    expect(counted).toEqual(['duplicate', 'duplicate', 'duplicate', 'bridged', 'bridged']);
    // Whoever spoke in the bridged lines is named once (those gone from the channel leave).
    expect(spoke).toEqual([['#chan', ['dave']]]);
    expect(said).toEqual([]); // the replay reaches back to what was bridged: nothing lost
  });

  it("drops a replayed line of one of our puppets' nicks, remembered across a restart", async () => {
    const puppet = Object.assign(new FakeBot(), { isMe: (n: string) => n === 'alice[m]' });
    catchUp.watchPuppet(puppet as unknown as IrcConnection);
    puppet.client.emit('registered', { nick: 'alice[m]' });
    await restart([], T0 + 2_000, T0 + 60_000);
    const mine = { ...line('from matrix', T0 + 1_000, 'p1', true), nick: 'Alice[m]' };
    expect(catchUp.heard(mine)).toBe(false);
    expect(catchUp.heard(line('live', T0 + 61_000, 'p2'))).toBe(true);
  });

  it('keeps the marks in the kv: msgids, the last time, until when the bot was there', async () => {
    await restart([line('a', T0 + 1_000, 'm1')], T0 + 2_000, T0 + 60_000);
    const stored = kv.data.get(catchUpKey('net')) as { channels: Record<string, unknown> };
    expect(stored.channels['#chan']).toEqual({
      time: T0 + 1_000,
      msgids: ['m1'],
      seen: T0 + 2_000,
    });
  });
});

describe('catch-up: the away notice', () => {
  it('says the bridge was away when nothing replays the gap', async () => {
    await restart([line('a', T0 + 1_000, 'm1')], T0 + 2_000, T0 + 60_000);
    vi.advanceTimersByTime(HISTORY_WAIT_MS);
    expect(said).toEqual([
      {
        channel: '#chan',
        text: 'The bridge was away from 2026-12-06 08:00:02 UTC to 2026-12-06 08:01:00 UTC; what was said then is not available.',
      },
    ]);
    expect(counted).toEqual(['notice']);
  });

  it('counts a channel joined just before a stop (before the wait for a replay ended) as seen', async () => {
    join();
    now = T0 + 1_000;
    await catchUp.stop();
    now = T0 + 60_000;
    await start();
    join();
    vi.advanceTimersByTime(HISTORY_WAIT_MS);
    expect(said.map((s) => s.text)).toEqual([
      'The bridge was away from 2026-12-06 08:00:01 UTC to 2026-12-06 08:01:00 UTC; what was said then is not available.',
    ]);
  });

  it('keeps the start of a gap when the bridge stops again while catching up', async () => {
    await restart([], T0 + 2_000, T0 + 60_000);
    now = T0 + 61_000;
    await catchUp.stop();
    now = T0 + 120_000;
    await start();
    join();
    vi.advanceTimersByTime(HISTORY_WAIT_MS);
    expect(said.map((s) => s.text)).toEqual([
      'The bridge was away from 2026-12-06 08:00:02 UTC to 2026-12-06 08:02:00 UTC; what was said then is not available.',
    ]);
  });

  it('says what is missing when a replay does not reach back to what was bridged', async () => {
    await restart([line('a', T0 + 1_000, 'm1')], T0 + 2_000, T0 + 60_000);
    replay([line('late', T0 + 40_000, 'm9', true)]);
    expect(said.map((s) => s.text)).toEqual([
      'The bridge was away from 2026-12-06 08:00:02 UTC to 2026-12-06 08:01:00 UTC; what was said before 2026-12-06 08:00:40 UTC is not available.',
    ]);
  });

  it('says nothing for a +H channel with no replay when its window covers the gap (nobody spoke)', async () => {
    await restart([], T0 + 2_000, T0 + 60_000);
    bot.client.emit('channel info', { channel: '#chan', modes: [{ mode: '+H', param: '50:1d' }] });
    vi.advanceTimersByTime(HISTORY_WAIT_MS);
    expect(said).toEqual([]);
  });

  it('says it when the +H window is shorter than the gap', async () => {
    await restart([], T0 + 2_000, T0 + 3_600_000);
    bot.client.emit('channel info', { channel: '#chan', modes: [{ mode: '+H', param: '50:10m' }] });
    vi.advanceTimersByTime(HISTORY_WAIT_MS);
    expect(said).toHaveLength(1);
  });

  it("says nothing when the bot's connection was held by the pool (a re-attach: its JOIN is the pool's)", async () => {
    await restart([], T0 + 2_000, T0 + 600_000);
    bot.client.emit('join', { nick: 'bot', channel: '#chan', hostname: 'pool' });
    vi.advanceTimersByTime(HISTORY_WAIT_MS);
    expect(said).toEqual([]);
  });

  it('says nothing for a gap shorter than away_notice_seconds, nor for a channel never seen', async () => {
    await restart([], T0 + 2_000, T0 + 30_000, { away_notice_seconds: 60 });
    join('#new');
    vi.advanceTimersByTime(HISTORY_WAIT_MS);
    expect(said).toEqual([]);
  });
});

describe('catch-up: CHATHISTORY', () => {
  it('asks AFTER the last bridged line, pages while the answers are full, and is then complete', async () => {
    await restart([line('a', T0 + 1_000, 'm1')], T0 + 2_000, T0 + 60_000, { history_limit: 2 });
    bot.client.network.cap.enabled.push('draft/chathistory');
    bot.client.network.isupport['CHATHISTORY'] = '50';
    join();
    expect(bot.written).toEqual(['CHATHISTORY AFTER #chan timestamp=2026-12-06T08:00:01.000Z 2']);
    replay([line('b', T0 + 10_000, 'm2', true), line('c', T0 + 20_000, 'm3', true)]);
    expect(bot.written[1]).toBe('CHATHISTORY AFTER #chan timestamp=2026-12-06T08:00:20.000Z 2');
    replay([line('d', T0 + 30_000, 'm4', true)]);
    vi.advanceTimersByTime(HISTORY_WAIT_MS);
    expect(said).toEqual([]);
  });

  it('says so when the server does not answer', async () => {
    await restart([line('a', T0 + 1_000, 'm1')], T0 + 2_000, T0 + 60_000);
    bot.client.network.cap.enabled.push('draft/chathistory');
    join();
    vi.advanceTimersByTime(HISTORY_WAIT_MS);
    expect(said).toHaveLength(1);
  });
});

describe('notice.ts', () => {
  it("reads InspIRCd's +H periods", () => {
    expect(historyWindowMs('50:1d')).toBe(86_400_000);
    expect(historyWindowMs('10:3600')).toBe(3_600_000);
    expect(historyWindowMs('20:1h30m')).toBe(5_400_000);
    expect(historyWindowMs('20')).toBeUndefined();
    expect(historyWindowMs('20:1x')).toBeUndefined();
    expect(historyWindowMs(null)).toBeUndefined();
  });

  it('words the notice', () => {
    expect(awayNotice(T0, T0 + 60_000, 'partial')).toBe(
      "The bridge was away from 2026-12-06 08:00:00 UTC to 2026-12-06 08:01:00 UTC; what was said then was bridged only in part (the server's history stopped short).",
    );
  });
});
