/**
 * An XMPP user of the benchmark's Prosody (@xmpp/client, PLAIN on loopback as in the tests),
 * noting when each groupchat body arrives, and able to join a MUC and speak there.
 */
import { client, xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { waitUntil } from './pusher.js';

export class XmppPeer {
  /** Each groupchat message's body → when it arrived (performance.now()). */
  readonly arrivals = new Map<string, number>();
  /** Presences of occupants who are in the room (not unavailable), by occupant address. */
  readonly present = new Set<string>();

  private constructor(
    readonly c: Client,
    readonly jid: string,
  ) {
    c.on('stanza', (el: Element) => {
      if (el.name === 'message' && el.attrs.type === 'groupchat') {
        const body = el.getChildText('body');
        if (body !== null) this.arrivals.set(body, performance.now());
      } else if (el.name === 'presence' && el.attrs.from) {
        if (el.attrs.type === 'unavailable') this.present.delete(el.attrs.from);
        else this.present.add(el.attrs.from);
      }
    });
  }

  static async login(port: number, name: string, resource: string): Promise<XmppPeer> {
    const c = client({
      service: `xmpp://127.0.0.1:${port}`,
      domain: 'localhost',
      username: name,
      resource,
      credentials: (authenticate) =>
        authenticate({ username: name, password: `${name}-pw` }, 'PLAIN'),
    });
    c.reconnect.stop();
    c.on('error', () => undefined);
    await c.start();
    await c.send(xml('presence', {}));
    return new XmppPeer(c, `${name}@localhost/${resource}`);
  }

  async join(room: string, nick: string): Promise<void> {
    const occupant = `${room}/${nick}`;
    await this.c.send(
      xml(
        'presence',
        { to: occupant },
        xml('x', { xmlns: 'http://jabber.org/protocol/muc' }, xml('history', { maxstanzas: '0' })),
      ),
    );
    await waitUntil(() => this.present.has(occupant), 10_000, `${this.jid} in ${room}`);
  }

  say(room: string, body: string): void {
    void this.c
      .send(xml('message', { type: 'groupchat', to: room }, xml('body', {}, body)))
      .catch(() => undefined);
  }

  async stop(): Promise<void> {
    await this.c.stop().catch(() => undefined);
  }
}
