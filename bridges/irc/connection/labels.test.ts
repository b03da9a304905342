// labeled-response bookkeeping: server lines (parsed by irc-framework's own parser, as the
// connection gets them) settle the label they answer; a refusal names the lines and IRC's reason.
import { createRequire } from 'node:module';
import type { IrcLine } from 'irc-framework';
import { describe, expect, it } from 'vitest';
import type { FloodClock } from './flood.js';
import { LabeledReplies, refusalError, type LineAnswer } from './labels.js';

const parse = createRequire(import.meta.url)('irc-framework/src/irclineparser.js') as (
  line: string,
) => IrcLine;

/** Timers that fire only when the test says so. */
function manualClock() {
  let timers: { fn: () => void; ms: number }[] = [];
  const clock: FloodClock = {
    now: () => 0,
    setTimeout: (fn, ms) => {
      const t = { fn, ms };
      timers.push(t);
      return t;
    },
    clearTimeout: (h) => {
      timers = timers.filter((t) => t !== h);
    },
  };
  const fireAll = () => {
    const due = timers;
    timers = [];
    for (const t of due) t.fn();
  };
  return { clock, fireAll, timers: () => timers };
}

/** Whether a promise has settled yet, without waiting for it. */
async function peek(answer: Promise<LineAnswer>): Promise<LineAnswer | 'waiting'> {
  return Promise.race([answer, new Promise<'waiting'>((r) => setImmediate(() => r('waiting')))]);
}

const M404 = 'You cannot send messages to this channel whilst the +m (moderated) mode is set.';

describe('labeled replies', () => {
  it('gives each line its own label, and an ACK takes the line it answers, only that one', async () => {
    const replies = new LabeledReplies();
    const a = replies.next();
    const b = replies.next();
    expect(a.label).not.toBe(b.label);
    expect(a.label).toMatch(/^[a-z0-9]+$/);
    replies.heard(parse(`@label=${b.label} :irc.example ACK`));
    expect(await peek(b.answer)).toEqual({ kind: 'taken' });
    expect(await peek(a.answer)).toBe('waiting');
    expect(replies.pending).toBe(1);
  });

  it('an error numeric with the label refuses the line, with the reason', async () => {
    const replies = new LabeledReplies();
    const a = replies.next();
    replies.heard(
      parse(`@time=2026-01-01T00:00:00.000Z;label=${a.label} :irc 404 alice #c :${M404}`),
    );
    expect(await a.answer).toEqual({ kind: 'refused', reason: M404 });
  });

  it('an echo (with its msgid), a 301 (away) or a standard-reply WARN takes the line; FAIL refuses it', async () => {
    const replies = new LabeledReplies();
    const [echo, away, warn, fail] = [1, 2, 3, 4].map(() => replies.next());
    replies.heard(parse(`@msgid=x;label=${echo!.label} :alice!u@h PRIVMSG #c :hello`));
    replies.heard(parse(`@label=${away!.label} :irc 301 alice bob :gone fishing`));
    replies.heard(parse(`@label=${warn!.label} :irc WARN PRIVMSG SOMETHING :careful`));
    replies.heard(parse(`@label=${fail!.label} :irc FAIL PRIVMSG NOPE :not today`));
    expect(await echo!.answer).toEqual({ kind: 'taken', msgid: 'x' }); // echo-message: its msgid
    expect(await away!.answer).toEqual({ kind: 'taken' });
    expect(await warn!.answer).toEqual({ kind: 'taken' });
    expect(await fail!.answer).toEqual({ kind: 'refused', reason: 'not today' });
  });

  it('lines without a label, or with a label not ours, change nothing', async () => {
    const replies = new LabeledReplies();
    const a = replies.next();
    replies.heard(parse(`:irc 404 alice #c :${M404}`));
    replies.heard(parse(`@label=other :irc 404 alice #c :${M404}`));
    replies.heard(parse(`:bob!u@h PRIVMSG #c :@label=${a.label} ACK`));
    expect(await peek(a.answer)).toBe('waiting');
  });

  it('a labeled batch settles at its end: refused by the first error in it, else taken', async () => {
    const replies = new LabeledReplies();
    const a = replies.next();
    const b = replies.next();
    replies.heard(parse(`@label=${a.label} :irc BATCH +x1 labeled-response`));
    replies.heard(parse(`@label=${b.label} :irc BATCH +x2 labeled-response`));
    replies.heard(parse(`@batch=x1 :irc 301 alice bob :away`));
    replies.heard(parse(`@batch=x1 :irc 401 alice bob :No such nick`));
    replies.heard(parse(`@batch=x1 :irc 404 alice bob :a later one`));
    replies.heard(parse(`@batch=x2 :irc 301 alice bob :away`));
    expect(await peek(a.answer)).toBe('waiting');
    replies.heard(parse(`:irc BATCH -x2`));
    replies.heard(parse(`:irc BATCH -x1`));
    expect(await a.answer).toEqual({ kind: 'refused', reason: 'No such nick' });
    expect(await b.answer).toEqual({ kind: 'taken' });
  });

  it('a labeled batch holding the echo and a 301 takes the line with the echo’s msgid', async () => {
    const replies = new LabeledReplies();
    const a = replies.next();
    replies.heard(parse(`@label=${a.label} :irc BATCH +y labeled-response`));
    replies.heard(parse(`@batch=y;msgid=m1 :alice!u@h PRIVMSG bob :hi`));
    replies.heard(parse(`@batch=y :irc 301 alice bob :away`));
    replies.heard(parse(`:irc BATCH -y`));
    expect(await a.answer).toEqual({ kind: 'taken', msgid: 'm1' });
  });

  it('times out only once written, and then counts as unanswered', async () => {
    const { clock, fireAll, timers } = manualClock();
    const replies = new LabeledReplies(5_000, clock);
    const a = replies.next();
    expect(timers()).toHaveLength(0); // still in flood control: the server has not seen it
    replies.written(a.label);
    expect(timers().map((t) => t.ms)).toEqual([5_000]);
    fireAll();
    expect(await a.answer).toEqual({ kind: 'unanswered', why: 'timeout' });
    replies.heard(parse(`@label=${a.label} :irc ACK`)); // too late: ignored
    expect(replies.pending).toBe(0);
  });

  it('an answer clears its timer; a closed connection leaves nothing waiting', async () => {
    const { clock, timers } = manualClock();
    const replies = new LabeledReplies(5_000, clock);
    const a = replies.next();
    const b = replies.next();
    replies.written(a.label);
    replies.written(b.label);
    replies.heard(parse(`@label=${a.label} :irc ACK`));
    expect(timers()).toHaveLength(1);
    replies.closed();
    expect(await b.answer).toEqual({ kind: 'unanswered', why: 'closed' });
    expect(timers()).toHaveLength(0);
    expect(replies.pending).toBe(0);
  });
});

describe('refusal errors', () => {
  const taken: LineAnswer = { kind: 'taken' };
  const refused = (reason = M404): LineAnswer => ({ kind: 'refused', reason });

  it('none when every line was taken or went unanswered', () => {
    expect(refusalError([taken, { kind: 'unanswered', why: 'timeout' }])).toBeUndefined();
    expect(refusalError([])).toBeUndefined();
  });

  it('a whole message refused: IRC refused the message, with the reason, retriable', () => {
    const err = refusalError([refused(), refused()]);
    expect(err?.code).toBe('rejected');
    expect(err?.userMessage).toBe(
      'IRC refused the message: You cannot send messages to this channel whilst the +m (moderated) mode is set',
    );
    expect(err?.retriable).toBe(true);
  });

  it('part of a message refused: names the lines, and offers no retry (it would repeat the others)', () => {
    const one = refusalError([taken, refused('No such nick'), taken]);
    expect(one?.userMessage).toBe(
      'IRC refused line 2 of 3 (the other lines were sent): No such nick',
    );
    expect(one?.retriable).toBe(false);
    const some = refusalError([taken, refused('banned'), refused('other'), taken, refused('x')]);
    expect(some?.userMessage).toBe(
      'IRC refused lines 2, 3 and 5 of 5 (the other lines were sent): banned',
    );
  });

  it("keeps IRC's reason readable: no control characters, bounded, never empty", () => {
    expect(refusalError([refused('\x02bold\x02 reason\r\n...')])?.userMessage).toBe(
      'IRC refused the message: bold reason',
    );
    expect(refusalError([refused('')])?.userMessage).toBe(
      'IRC refused the message: no reason given',
    );
    expect(refusalError([refused('x'.repeat(1000))])?.userMessage.length).toBeLessThan(340);
  });
});
