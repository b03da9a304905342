/**
 * The one XEP-0114 component connection that carries every Matrix user (no per-user
 * connections). It reconnects with jittered exponential backoff (backoff.ts) and queues stanzas
 * while it is down: they go out in order once it is back. A stanza whose `from` is outside the
 * component's domain is refused before it is queued (the server would refuse it anyway, and the
 * bridge must never try to speak for anyone else). The secret is never logged.
 */
import { createRequire } from 'node:module';
import type { Socket as NodeSocket } from 'node:net';
import type { Logger } from 'pino';
import type { Component as ComponentCore } from '@xmpp/component-core';
import type { Element } from '@xmpp/xml';
import { backoffDelay } from './backoff.js';
import { CopyFilter, type StanzaAttrs } from './copy-filter.js';
import { Iqs, type IqHandler } from './iq.js';

const require = createRequire(import.meta.url);
// @xmpp/component-core 0.13 is CommonJS only. Not @xmpp/component: its middleware parses `from`
// and `to` of every stanza, which only iqs need (iq.ts answers them).
const { Component } = require('@xmpp/component-core') as typeof import('@xmpp/component-core');

/**
 * The domain of an address (`local@domain/resource`), on its string: what the component may
 * speak for is decided on it for every stanza it sends, so it is not parsed as a whole JID.
 */
export function domainOf(address: string): string {
  const slash = address.indexOf('/');
  const bare = slash < 0 ? address : address.slice(0, slash);
  return bare.slice(bare.lastIndexOf('@') + 1);
}

interface StreamParser {
  write(data: string): void;
}

/**
 * Puts a CopyFilter in front of the connection's XML parser: @xmpp/connection makes a parser of
 * its `Parser` class for each stream (each connection), so each stream gets a filter of its own.
 */
function filterMessages(xmpp: ComponentCore, drop: (attrs: StanzaAttrs) => boolean): void {
  const holder = xmpp as unknown as { Parser: new () => StreamParser };
  const Base = holder.Parser;
  holder.Parser = class extends Base {
    private readonly copies = new CopyFilter(drop);
    override write(data: string): void {
      // Piece by piece: the parser handles what is before each message before it is decided on.
      this.copies.feed(data, (text) => super.write(text));
    }
  };
}

/**
 * @xmpp/connection decodes each socket read on its own (`data.toString('utf8')`), so a character
 * whose UTF-8 bytes two reads split came out as U+FFFD on both sides of the cut. A socket that
 * decodes by itself (`setEncoding`: its decoder keeps a cut character's first bytes for the next
 * read) hands over whole characters, and a string's toString is the string.
 */
function decodeWholeCharacters(xmpp: ComponentCore): void {
  const connection = xmpp as unknown as { _attachSocket(socket: NodeSocket): void };
  const attach = connection._attachSocket.bind(connection);
  connection._attachSocket = (socket) => {
    socket.setEncoding('utf8');
    attach(socket);
  };
}

export type LinkState = 'connecting' | 'online' | 'offline' | 'stopped';

export interface ComponentOptions {
  host: string;
  port: number;
  /** The component's domain (`matrix.example.org`). */
  domain: string;
  secret: string;
  minDelayMs: number;
  maxDelayMs: number;
  /** Stanzas kept while the connection is down; more are refused. */
  maxQueued: number;
  /** How long one attempt may take (TCP connect, stream open, handshake). */
  attemptTimeoutMs?: number;
  /**
   * Asked for each incoming stanza-level `<message>` on its start tag's attributes alone: true
   * leaves the whole stanza out before the XML parser (copy-filter.ts), for a MUC's copies of a
   * message to occupants other than the reader.
   */
  dropMessage?: (attrs: StanzaAttrs) => boolean;
  log: Logger;
}

interface Queued {
  el: Element;
  resolve: () => void;
  reject: (err: Error) => void;
  /** Handed to the socket (on this connection), its write not yet confirmed. */
  written: boolean;
}

export class ComponentLink {
  state: LinkState = 'offline';
  /** Drops of an established connection, for metrics. */
  drops = 0;
  onStanza: (el: Element) => void = () => undefined;
  /**
   * Called each time the connection comes (back) online, before what waited in the queue goes
   * out: stanzas it sends with `{ first: true }` (MUC joins) go out before them.
   */
  onOnline: () => void = () => undefined;
  private readonly xmpp: ComponentCore;
  private readonly iqs: Iqs;
  private readonly queue: Queued[] = [];
  /** How many stanzas at the head of the queue are written and wait for the socket's callback. */
  private inFlight = 0;
  /** How many stanzas at the head of the queue were sent with `first` since the last connect. */
  private firsts = 0;
  private attempt = 0;
  private timer?: NodeJS.Timeout;
  private onlineWaiters: (() => void)[] = [];
  /** A pump is due once the current run of callbacks and promise jobs is done (send). */
  private pumpDue = false;

  constructor(private readonly opts: ComponentOptions) {
    this.xmpp = new Component({ service: `xmpp://${opts.host}:${opts.port}`, domain: opts.domain });
    decodeWholeCharacters(this.xmpp);
    if (opts.dropMessage) filterMessages(this.xmpp, opts.dropMessage);
    this.iqs = new Iqs((el) => this.send(el));
    // The handshake (XEP-0114 §3) once the server opened the stream; reconnects are ours (below).
    this.xmpp.on('open', (el: Element) => {
      this.xmpp
        .authenticate(el.attrs.id ?? '', opts.secret)
        .catch((err: unknown) => this.xmpp.emit('error', err));
    });
    // Each write goes out at once: no waiting for the server's ACK of the last one (Nagle's
    // algorithm, up to 40 ms against a delayed ACK). Bursts are one write anyway (pump).
    this.xmpp.on('connect', () => this.xmpp.socket?.setNoDelay(true));
    this.xmpp.on('error', (err: Error & { condition?: string }) =>
      opts.log.warn(
        { xmpp: opts.domain, condition: err.condition, err: err.message },
        'XMPP component connection error',
      ),
    );
    this.xmpp.on('stanza', (el: Element) => {
      try {
        if (el.name === 'iq') this.iqs.onIq(el);
        else this.onStanza(el);
      } catch (err) {
        opts.log.warn({ err, xmpp: opts.domain }, 'XMPP stanza handler failed');
      }
    });
    this.xmpp.on('online', () => {
      this.state = 'online';
      this.attempt = 0;
      opts.log.info({ xmpp: opts.domain }, 'XMPP component online');
      this.firsts = 0;
      try {
        this.onOnline();
      } catch (err) {
        opts.log.warn({ err, xmpp: opts.domain }, 'XMPP online handler failed');
      }
      this.pump();
      this.wakeIfDrained();
    });
    this.xmpp.on('disconnect', () => {
      if (this.state === 'stopped') return;
      if (this.state === 'online') {
        this.drops++;
        opts.log.warn({ xmpp: opts.domain }, 'XMPP component connection dropped');
      }
      this.state = 'offline';
      this.schedule();
    });
  }

  /**
   * Sends an iq and resolves with the answer; rejects with the error's condition (`forbidden`, …)
   * or at once when the connection is down (an iq is a question for now, not for later).
   */
  async request(el: Element, timeoutMs = 10_000): Promise<Element> {
    const from = el.attrs.from;
    if (!from || domainOf(from) !== this.opts.domain)
      throw new Error(`refused: the component does not speak for ${from ?? 'an unset from'}`);
    if (this.state !== 'online') throw new Error('the XMPP server is not connected');
    return this.iqs.request(el, timeoutMs);
  }

  /** Answers iqs (gets, or sets) of `ns`/`name` (an element for the result, an `<error/>`, or undefined). */
  answer(ns: string, name: string, handler: IqHandler, type: 'get' | 'set' = 'get'): void {
    this.iqs.answer(ns, name, handler, type);
  }

  get domain(): string {
    return this.opts.domain;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Starts connecting (in the background: a server that is down is retried, never fatal). */
  start(): void {
    this.state = 'connecting';
    void this.connect();
  }

  /** Resolves once the connection is online (at once when it is). */
  online(): Promise<void> {
    if (this.state === 'online' && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.onlineWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const q of this.queue.splice(0)) q.reject(new Error('the XMPP bridge stopped'));
    this.inFlight = 0;
    this.iqs.stop();
    await this.xmpp.stop().catch(() => undefined);
  }

  /**
   * Sends a stanza from one of the component's addresses, in order after those queued before it.
   * Resolves once it is written to the server; rejects when the bridge stops first. `first`: before
   * everything queued (but after other `first` ones), for what must precede them (MUC joins).
   */
  send(el: Element, opts: { first?: boolean } = {}): Promise<void> {
    const from = el.attrs.from;
    if (!from || domainOf(from) !== this.opts.domain)
      return Promise.reject(
        new Error(`refused: the component does not speak for ${from ?? 'an unset from'}`),
      );
    if (this.state === 'stopped') return Promise.reject(new Error('the XMPP bridge stopped'));
    if (this.queue.length >= this.opts.maxQueued)
      return Promise.reject(new Error('too many stanzas are waiting for the XMPP server'));
    return new Promise<void>((resolve, reject) => {
      const q: Queued = { el, resolve, reject, written: false };
      // `first` goes before what is not yet written (after the other `first` ones).
      if (opts.first) {
        const at = Math.max(this.firsts, this.inFlight);
        this.queue.splice(at, 0, q);
        this.firsts = at + 1;
      } else this.queue.push(q);
      // What is sent in the same run of callbacks and promise jobs (a transaction's events, a
      // room's joins) goes in one write, so one TCP segment (the socket has no Nagle delay).
      if (!this.pumpDue) {
        this.pumpDue = true;
        process.nextTick(() => {
          this.pumpDue = false;
          this.pump();
        });
      }
    });
  }

  /**
   * Writes every queued stanza not yet written, in order, in one socket write (one syscall and
   * one callback for a burst, not one each): one stanza per turn of the event loop would add each
   * one's wait to the next. Stanzas leave the queue when the write is confirmed; those whose write
   * fails (the connection went down) are written again, first, on the next connection.
   */
  private pump(): void {
    if (this.state !== 'online' || this.inFlight >= this.queue.length) return;
    const batch = this.queue.slice(this.inFlight);
    let fragment = '';
    for (const q of batch) {
      q.written = true;
      fragment += q.el.toString();
    }
    this.inFlight += batch.length;
    this.xmpp.write(fragment).then(
      () => this.written(batch),
      () => {
        for (const q of batch) {
          if (!q.written) continue;
          q.written = false;
          this.inFlight = Math.max(0, this.inFlight - 1);
        }
      },
    );
  }

  private written(batch: Queued[]): void {
    const done = batch.filter((q) => q.written); // not those the bridge stopped meanwhile
    if (done.length === 0) return;
    // The head of the queue, but for a write failed before it (written again since).
    if (done.every((q, i) => this.queue[i] === q)) this.queue.splice(0, done.length);
    else
      for (const q of done) {
        const at = this.queue.indexOf(q);
        if (at >= 0) this.queue.splice(at, 1);
      }
    this.inFlight -= done.length;
    this.firsts = Math.max(0, this.firsts - done.length);
    for (const q of done) {
      q.written = false;
      q.resolve();
    }
    this.wakeIfDrained();
  }

  private wakeIfDrained(): void {
    if (this.state === 'online' && this.queue.length === 0)
      for (const w of this.onlineWaiters.splice(0)) w();
  }

  private schedule(): void {
    if (this.state === 'stopped' || this.timer) return; // one attempt pending at a time
    const delay = backoffDelay(this.attempt++, this.opts.minDelayMs, this.opts.maxDelayMs);
    this.opts.log.info({ xmpp: this.opts.domain, delay }, 'XMPP component reconnects');
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, delay);
    this.timer.unref?.();
  }

  private async connect(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'online') return;
    this.state = 'connecting';
    const { xmpp } = this;
    const timeout = this.opts.attemptTimeoutMs ?? 10_000;
    let settle!: (ok: boolean) => void;
    const outcome = new Promise<boolean>((r) => (settle = r));
    const onOnline = () => settle(true);
    const onDown = () => settle(false);
    xmpp.once('online', onOnline);
    xmpp.once('disconnect', onDown);
    const timer = setTimeout(() => settle(false), timeout);
    try {
      await xmpp.connect(xmpp.options.service);
      await xmpp.open({ domain: this.opts.domain });
    } catch {
      settle(false);
    }
    const ok = await outcome;
    clearTimeout(timer);
    xmpp.off('online', onOnline);
    xmpp.off('disconnect', onDown);
    const state = this.state as LinkState; // changed meanwhile, by the listeners above
    if (ok || state === 'stopped') return;
    // A failed attempt whose socket is still open (a refused handshake, a timeout): close it; its
    // 'disconnect' schedules the next attempt. A socket that never opened schedules it here.
    if (xmpp.status === 'disconnect' || xmpp.status === 'offline' || xmpp.status === 'connecting') {
      if (state !== 'offline') {
        this.state = 'offline';
        this.schedule();
      }
      return;
    }
    await xmpp.disconnect(1_000).catch(() => {
      this.state = 'offline';
      this.schedule();
    });
  }
}
