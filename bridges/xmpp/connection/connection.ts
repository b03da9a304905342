/**
 * The one XEP-0114 component connection that carries every Matrix user (no per-user
 * connections). It reconnects with jittered exponential backoff (backoff.ts) and queues stanzas
 * while it is down: they go out in order once it is back. A stanza whose `from` is outside the
 * component's domain is refused before it is queued (the server would refuse it anyway, and the
 * bridge must never try to speak for anyone else). The secret is never logged.
 */
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type { Component } from '@xmpp/component';
import type { Element } from '@xmpp/xml';
import { jid as parseJid } from '@xmpp/jid';
import { backoffDelay } from './backoff.js';
import { safeJid } from '../ids.js';

const require = createRequire(import.meta.url);
// @xmpp/component 0.13 is CommonJS only.
const { component } = require('@xmpp/component') as typeof import('@xmpp/component');

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
  log: Logger;
}

interface Queued {
  el: Element;
  resolve: () => void;
  reject: (err: Error) => void;
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
  private readonly xmpp: Component;
  private readonly queue: Queued[] = [];
  private pumping = false;
  /** How many stanzas at the head of the queue were sent with `first` since the last connect. */
  private firsts = 0;
  private attempt = 0;
  private timer?: NodeJS.Timeout;
  private onlineWaiters: (() => void)[] = [];

  constructor(private readonly opts: ComponentOptions) {
    this.xmpp = component({
      service: `xmpp://${opts.host}:${opts.port}`,
      domain: opts.domain,
      password: opts.secret,
    });
    this.xmpp.reconnect.stop(); // ours below: jittered, growing, with a cap
    this.xmpp.on('error', (err: Error & { condition?: string }) =>
      opts.log.warn(
        { xmpp: opts.domain, condition: err.condition, err: err.message },
        'XMPP component connection error',
      ),
    );
    this.xmpp.on('stanza', (el: Element) => {
      try {
        this.onStanza(el);
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
      void this.pump().then(() => {
        for (const w of this.onlineWaiters.splice(0)) w();
      });
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
    const domain = el.attrs.from ? safeJid(el.attrs.from)?.domain : undefined;
    if (domain !== this.opts.domain)
      throw new Error(
        `refused: the component does not speak for ${el.attrs.from ?? 'an unset from'}`,
      );
    if (this.state !== 'online') throw new Error('the XMPP server is not connected');
    return this.xmpp.iqCaller.request(el, timeoutMs);
  }

  /** Answers iq gets of `ns`/`name` (an element for the result, an `<error/>`, or undefined). */
  answer(ns: string, name: string, handler: (stanza: Element) => Element | undefined): void {
    this.xmpp.iqCallee.get(ns, name, (ctx) => handler(ctx.stanza));
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
    await this.xmpp.stop().catch(() => undefined);
  }

  /**
   * Sends a stanza from one of the component's addresses, in order after those queued before it.
   * Resolves once it is written to the server; rejects when the bridge stops first. `first`: before
   * everything queued (but after other `first` ones), for what must precede them (MUC joins).
   */
  send(el: Element, opts: { first?: boolean } = {}): Promise<void> {
    const from = el.attrs.from;
    let domain: string | undefined;
    try {
      domain = from ? parseJid(from).domain : undefined;
    } catch {
      domain = undefined;
    }
    if (domain !== this.opts.domain)
      return Promise.reject(
        new Error(`refused: the component does not speak for ${from ?? 'an unset from'}`),
      );
    if (this.state === 'stopped') return Promise.reject(new Error('the XMPP bridge stopped'));
    if (this.queue.length >= this.opts.maxQueued)
      return Promise.reject(new Error('too many stanzas are waiting for the XMPP server'));
    return new Promise<void>((resolve, reject) => {
      if (opts.first) this.queue.splice(this.firsts++, 0, { el, resolve, reject });
      else this.queue.push({ el, resolve, reject });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.state === 'online' && this.queue.length > 0) {
        const head = this.queue[0]!;
        try {
          await this.xmpp.send(head.el);
        } catch {
          break; // the connection went down: the head stays first for the next connection
        }
        this.queue.shift();
        if (this.firsts > 0) this.firsts--;
        head.resolve();
      }
    } finally {
      this.pumping = false;
    }
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
