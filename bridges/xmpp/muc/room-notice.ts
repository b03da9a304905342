/** A notice in a MUC portal's room from the MUC's own ghost (what the bridge tells its Matrix users). */
import { remoteMessageId } from '../../../src/connector.js';
import { newId } from '../connection/stanzas.js';
import type { XmppDeps } from '../deps.js';
import { mucPortal, xmppUser } from '../ids.js';
import type { Room } from './muc-room.js';

export function roomNotice(d: XmppDeps, room: Room, text: string): Promise<void> {
  const portal = mucPortal(room.jid);
  return d.chain.run(
    portal,
    () =>
      d.emit({
        kind: 'message',
        portal,
        sender: xmppUser(room.jid),
        id: remoteMessageId(`notice:${newId()}`),
        content: { kind: 'notice', text },
      }),
    (err) => d.ctx.log.warn({ err, portal }, 'a notice about a MUC was not sent'),
  );
}
