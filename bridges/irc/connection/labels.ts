/**
 * IRCv3 `labeled-response` for one connection: a message line goes out as
 * `@label=<id> PRIVMSG …`, and the server answers that label once, with `ACK` (taken, nothing to
 * say), one reply (an error numeric when it refused the line; the echo where `echo-message` is
 * on), or a `BATCH +x labeled-response` … `BATCH -x` holding several replies. A 4xx/5xx numeric
 * (or an IRCv3 `FAIL`) is a refusal; any other answer means the server took the line.
 */
import type { IrcLine } from 'irc-framework';
import type { Logger } from 'pino';
import { BridgeError } from '../../../src/connector.js';
import { systemClock, type FloodClock } from './flood.js';

/**
 * How long the server has to answer a line once it is written. Past it the line counts as sent
 * (logged): it was written, so the server most likely took it and is only lagging; failing it
 * would tell the user "not delivered" about a message people may well have seen, and a retry
 * would say it twice. Long enough for real lag, short enough that a room's queue (which waits
 * for the answer) is not held up long by a server that stopped answering.
 */
export const ANSWER_TIMEOUT_MS = 10_000;

/** What became of one labeled line. */
export type LineAnswer =
  /** `msgid`: the id the server gave the line, from its echo (IRCv3 `echo-message`). */
  | { kind: 'taken'; msgid?: string }
  | { kind: 'refused'; reason: string }
  /** No answer: the server lagged past the timeout, or the connection closed first. */
  | { kind: 'unanswered'; why: 'timeout' | 'closed' };

const TAKEN: LineAnswer = { kind: 'taken' };

interface Waiting {
  settle(answer: LineAnswer): void;
  timer?: unknown;
}

export class LabeledReplies {
  private counter = 0;
  private readonly waiting = new Map<string, Waiting>();
  /** Labeled batches under way: batch id → its label, the first refusal in it and the echo's msgid. */
  private readonly batches = new Map<string, { label: string; refusal?: string; msgid?: string }>();

  constructor(
    private readonly timeoutMs = ANSWER_TIMEOUT_MS,
    private readonly clock: FloodClock = systemClock,
  ) {}

  /** Labels waiting for their answer. */
  get pending(): number {
    return this.waiting.size;
  }

  /** A fresh label, and the server's answer to the line that carries it (never rejects). */
  next(): { label: string; answer: Promise<LineAnswer> } {
    const label = `sb${(++this.counter).toString(36)}`;
    const answer = new Promise<LineAnswer>((settle) => this.waiting.set(label, { settle }));
    return { label, answer };
  }

  /** The line carrying `label` was written: the server's time to answer starts now (not while flood control held it). */
  written(label: string): void {
    const w = this.waiting.get(label);
    if (!w || w.timer !== undefined) return;
    w.timer = this.clock.setTimeout(
      () => this.settle(label, { kind: 'unanswered', why: 'timeout' }),
      this.timeoutMs,
    );
  }

  /** Every line the server sends, as irc-framework parsed it (before it holds back a batch's lines). */
  heard(line: IrcLine): void {
    if (this.waiting.size === 0) return; // the common case: one map lookup per line
    const label = line.tags.label;
    const batchParam = line.command === 'BATCH' ? (line.params[0] ?? '') : '';
    if (label !== undefined) {
      if (!this.waiting.has(label)) return;
      if (batchParam.startsWith('+')) this.batches.set(batchParam.slice(1), { label });
      else this.settle(label, answerOf(line));
      return;
    }
    if (this.batches.size === 0) return;
    if (batchParam.startsWith('-')) {
      const batch = this.batches.get(batchParam.slice(1));
      if (!batch) return;
      this.batches.delete(batchParam.slice(1));
      this.settle(
        batch.label,
        batch.refusal
          ? { kind: 'refused', reason: batch.refusal }
          : { kind: 'taken', ...(batch.msgid ? { msgid: batch.msgid } : {}) },
      );
      return;
    }
    const batch = line.tags.batch === undefined ? undefined : this.batches.get(line.tags.batch);
    if (!batch || batch.refusal !== undefined) return;
    const answer = answerOf(line);
    if (answer.kind === 'refused') batch.refusal = answer.reason;
    else if (answer.kind === 'taken') batch.msgid ??= answer.msgid;
  }

  /** The connection closed: nothing still waiting will be answered. */
  closed(): void {
    for (const label of [...this.waiting.keys()])
      this.settle(label, { kind: 'unanswered', why: 'closed' });
    this.batches.clear();
  }

  private settle(label: string, answer: LineAnswer): void {
    const w = this.waiting.get(label);
    if (!w) return;
    this.waiting.delete(label);
    if (w.timer !== undefined) this.clock.clearTimeout(w.timer);
    if (answer.kind === 'unanswered')
      for (const [id, batch] of this.batches) if (batch.label === label) this.batches.delete(id);
    w.settle(answer);
  }
}

/**
 * A numeric 400–599 or `FAIL` refuses; its last parameter says why. Anything else (ACK, the echo,
 * 301 away…) takes; the echo of a message tells its msgid.
 */
function answerOf(line: IrcLine): LineAnswer {
  const { command } = line;
  const refusal = command === 'FAIL' || /^[45]\d\d$/.test(command);
  if (refusal) return { kind: 'refused', reason: line.params.at(-1) || `error ${command}` };
  const echo = command === 'PRIVMSG' || command === 'NOTICE';
  return echo && line.tags.msgid ? { kind: 'taken', msgid: line.tags.msgid } : TAKEN;
}

/**
 * What a message's labeled lines came to once each is answered: the msgids the server gave them
 * (where it echoes them, `echo-message`), or refusalError's error. A line left unanswered (server
 * lag past ANSWER_TIMEOUT_MS, or the connection dropped after writing it) counts as sent, logged.
 */
export async function answered(answers: Promise<LineAnswer>[], log: Logger): Promise<string[]> {
  const all = await Promise.all(answers);
  const unanswered = all.filter((a) => a.kind === 'unanswered');
  if (unanswered.length > 0)
    log.warn(
      { lines: all.length, unanswered: unanswered.length },
      unanswered.some((a) => a.why === 'timeout')
        ? 'the IRC server did not answer a message in time; taken as sent'
        : 'the IRC connection closed before the server answered a message; taken as sent',
    );
  const refused = refusalError(all);
  if (refused) throw refused;
  return all.flatMap((a) => (a.kind === 'taken' && a.msgid ? [a.msgid] : []));
}

/**
 * The error for a message (sent as `answers.length` IRC lines) that IRC refused in whole or in
 * part, naming the lines; undefined when every line was taken (or went unanswered: taken as sent).
 * Retrying is offered only when nothing went through, so that a retry never says a line twice.
 */
export function refusalError(answers: readonly LineAnswer[]): BridgeError | undefined {
  const refused: number[] = [];
  let reason = '';
  answers.forEach((a, i) => {
    if (a.kind !== 'refused') return;
    if (refused.length === 0) reason = readable(a.reason);
    refused.push(i + 1);
  });
  if (refused.length === 0) return undefined;
  if (refused.length === answers.length)
    return new BridgeError('rejected', `IRC refused the message: ${reason}`, true);
  const which =
    refused.length === 1
      ? `line ${refused[0]}`
      : `lines ${refused.slice(0, -1).join(', ')} and ${refused.at(-1)}`;
  return new BridgeError(
    'rejected',
    `IRC refused ${which} of ${answers.length} (the other lines were sent): ${reason}`,
  );
}

/** The server's reason, shown to the Matrix user: no control characters, no final period (the notice adds one), not endless. */
function readable(reason: string): string {
  const text = reason.replace(/[\x00-\x1f\x7f]+/g, '').trim();
  const short = text.length > 300 ? `${text.slice(0, 300)}…` : text;
  return short.replace(/\.+$/, '') || 'no reason given';
}
