/**
 * A plain XEP-0114 component in the benchmark's own process (@xmpp/component-core, no bridge):
 * it joins a MUC as a few occupants and sends groupchat messages as one of them, writing each
 * burst of stanzas in one socket write, each shaped as the bridge's (origin-id, chat state,
 * markable), as the bridge does. With it the benchmark measures how
 * Prosody itself carries a message that comes from a component (the way the bridge must use
 * it) beside one from a client, at the same room population.
 */
import { createRequire } from 'node:module';
import type { Component as ComponentCore } from '@xmpp/component-core';
import { xml, type Element } from '@xmpp/xml';
import { waitUntil } from './pusher.js';

const require = createRequire(import.meta.url);
const { Component } = require('@xmpp/component-core') as typeof import('@xmpp/component-core');

export class PlainComponent {
  /** Occupant addresses (`room/nick`) whose own presence came back: they are in. */
  private readonly joined = new Set<string>();
  /** Stanzas the component got (all copies of every message, presences). */
  received = 0;
  private count = 1;

  private constructor(
    private readonly xmpp: ComponentCore,
    readonly domain: string,
  ) {
    xmpp.on('stanza', (el: Element) => {
      this.received++;
      if (el.name === 'presence' && el.attrs.from && el.attrs.type !== 'unavailable')
        this.joined.add(el.attrs.from);
    });
  }

  static async connect(port: number, domain: string, secret: string): Promise<PlainComponent> {
    const xmpp = new Component({ service: `xmpp://127.0.0.1:${port}`, domain });
    xmpp.on('error', () => undefined);
    xmpp.on('open', (el: Element) => {
      xmpp.authenticate(el.attrs.id ?? '', secret).catch(() => undefined);
    });
    xmpp.on('connect', () => xmpp.socket?.setNoDelay(true));
    const online = new Promise<void>((resolve) => xmpp.once('online', () => resolve()));
    await xmpp.connect(xmpp.options.service);
    await xmpp.open({ domain });
    await online;
    return new PlainComponent(xmpp, domain);
  }

  /** The occupant `i`'s address on the component. */
  user(i: number): string {
    return `p${i}@${this.domain}/bench`;
  }

  /** `count` occupants (`Plain 0` …) join `room`, in one write; resolves when all are in. */
  async join(room: string, count: number): Promise<void> {
    this.count = count;
    const nicks = Array.from({ length: count }, (_, i) => `Plain ${i}`);
    await this.xmpp.write(
      nicks
        .map((nick, i) =>
          xml(
            'presence',
            { from: this.user(i), to: `${room}/${nick}` },
            xml(
              'x',
              { xmlns: 'http://jabber.org/protocol/muc' },
              xml('history', { maxstanzas: '0' }),
            ),
          ).toString(),
        )
        .join(''),
    );
    await waitUntil(
      () => nicks.every((n) => this.joined.has(`${room}/${n}`)),
      30_000,
      `${count} plain component occupants in ${room}`,
    );
  }

  /**
   * The occupants take turns saying each body in `room` (the `offset + i`th body is said by
   * occupant `(offset + i) % count`, as the bridge's speakers do): one socket write for all.
   */
  say(room: string, bodies: string[], offset = 0): Promise<void> {
    let fragment = '';
    for (let i = 0; i < bodies.length; i++)
      fragment += xml(
        'message',
        {
          from: this.user((offset + i) % this.count),
          to: room,
          type: 'groupchat',
          id: `${offset + i}`,
        },
        // The shape of the bridge's own messages (connection/stanzas.ts buildMessage).
        xml('body', {}, bodies[i]),
        xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: `${offset + i}` }),
        xml('active', { xmlns: 'http://jabber.org/protocol/chatstates' }),
        xml('markable', { xmlns: 'urn:xmpp:chat-markers:0' }),
      ).toString();
    return this.xmpp.write(fragment);
  }

  async stop(): Promise<void> {
    await this.xmpp.stop().catch(() => undefined);
  }
}
