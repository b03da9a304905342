/**
 * The receiving XMPP client's process (lib/xmpp-receiver.ts), driven over IPC: it logs in,
 * joins the rooms and notes when each groupchat body arrives, in epoch ms
 * (`performance.timeOrigin + performance.now()`, comparable with the other processes' times).
 */
import type { FromReceiver, ToReceiver } from './xmpp-receiver.js';
import { XmppPeer } from './xmpp-peer.js';

let peer: XmppPeer | undefined;
const reply = (msg: FromReceiver) => process.send?.(msg);

process.on('message', (msg: ToReceiver) => {
  void (async () => {
    try {
      if (msg.type === 'start') {
        peer = await XmppPeer.login(msg.port, msg.name, 'receiver');
        for (const room of msg.rooms) await peer.join(room, msg.nick);
        reply({ type: 'ready' });
      } else if (msg.type === 'arrivals') {
        const entries: [string, number][] = [];
        for (const [body, at] of peer?.arrivals ?? []) {
          if (!body.startsWith(msg.prefix)) continue;
          entries.push([body, performance.timeOrigin + at]);
          peer!.arrivals.delete(body);
        }
        reply({ type: 'arrivals', entries });
      } else if (msg.type === 'stop') {
        await peer?.stop();
        process.exit(0);
      }
    } catch (err) {
      reply({ type: 'error', message: String(err) });
    }
  })();
});
