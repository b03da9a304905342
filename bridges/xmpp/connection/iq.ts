/**
 * Iqs on the component connection (RFC 6120 §8.2.3): the bridge's questions, matched to their
 * answers by id, and the answers to the questions it handles (the others: service-unavailable).
 * In place of @xmpp/component's middleware, which built a context for every stanza and parsed
 * its `from` and `to` (6–11 % of the bridge's CPU per MUC message); only iqs come here.
 */
import { randomUUID } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import { NS } from './stanzas.js';

/**
 * An answer now, or later (a vCard whose photo is fetched first); null: an empty result (a set
 * done); undefined: service-unavailable.
 */
export type IqHandler = (
  stanza: Element,
) => Element | null | undefined | Promise<Element | null | undefined>;

/** An iq error answer: `condition` is the defined condition (`forbidden`, `item-not-found`, …). */
export class IqError extends Error {
  constructor(
    readonly condition: string,
    readonly type: string | undefined,
    readonly text: string | undefined,
  ) {
    super(text ? `${condition}: ${text}` : condition);
    this.name = 'IqError';
  }

  static of(iq: Element): IqError {
    const error = iq.getChild('error');
    const condition =
      error?.getChildElements().find((c) => c.attrs.xmlns === NS.stanzas && c.name !== 'text')
        ?.name ?? 'undefined-condition';
    const text = error?.getChildText('text', NS.stanzas) ?? undefined;
    return new IqError(condition, error?.attrs.type, text);
  }
}

interface Pending {
  resolve(el: Element): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class Iqs {
  private readonly pending = new Map<string, Pending>();
  private readonly handlers = new Map<string, IqHandler>();

  constructor(private readonly write: (el: Element) => Promise<void>) {}

  /** Answers iqs (gets, or sets) of `ns`/`name` (an element for the result, an `<error/>`, or undefined). */
  answer(ns: string, name: string, handler: IqHandler, type: 'get' | 'set' = 'get'): void {
    this.handlers.set(`${type}\n${ns}\n${name}`, handler);
  }

  /** Sends an iq and resolves with its result; rejects with an IqError, or after `timeoutMs`. */
  request(el: Element, timeoutMs: number): Promise<Element> {
    const id = (el.attrs.id ??= randomUUID());
    return new Promise<Element>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to the iq ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref?.();
      this.pending.set(id, { resolve, reject, timer });
      this.write(el).catch((err: unknown) => {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    });
  }

  /** An iq arrived: an answer to one of ours, or a question (answered). */
  onIq(iq: Element): void {
    const { type, id } = iq.attrs;
    if (type === 'result' || type === 'error') {
      const p = id === undefined ? undefined : this.pending.get(id);
      if (!p || id === undefined) return;
      this.pending.delete(id);
      clearTimeout(p.timer);
      if (type === 'result') p.resolve(iq);
      else p.reject(IqError.of(iq));
      return;
    }
    if (type !== 'get' && type !== 'set') return;
    const children = iq.getChildElements();
    const child = children[0];
    let answer: ReturnType<IqHandler>;
    if (children.length !== 1 || !child) answer = errorOf('modify', 'bad-request');
    else {
      const handler = this.handlers.get(`${type}\n${child.attrs.xmlns ?? ''}\n${child.name}`);
      answer = handler?.(iq);
    }
    if (answer instanceof Promise)
      void answer.then(
        (a) => this.reply(iq, child, a),
        () => this.reply(iq, child, errorOf('wait', 'internal-server-error')),
      );
    else this.reply(iq, child, answer);
  }

  private reply(iq: Element, child: Element | undefined, result: Element | null | undefined): void {
    const { id } = iq.attrs;
    const answer = result === undefined ? errorOf('cancel', 'service-unavailable') : result;
    const isError = answer?.name === 'error';
    const reply = xml('iq', {
      type: isError ? 'error' : 'result',
      to: iq.attrs.from,
      from: iq.attrs.to,
      id,
    });
    if (isError && child) reply.append(child);
    if (answer) reply.append(answer);
    void this.write(reply).catch(() => undefined);
  }

  /** Rejects every question still waiting (the bridge stops). */
  stop(): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error('the XMPP bridge stopped'));
      this.pending.delete(id);
    }
  }
}

const errorOf = (type: string, condition: string) =>
  xml('error', { type }, xml(condition, { xmlns: NS.stanzas }));
