/**
 * The called Matrix user of the SIP benchmarks: answers each call a SIP ghost places in the
 * stand-in homeserver (joining the direct chat the first time) with the SDP `answer` gives.
 */
import type { FakeHomeserver } from '../../test/support/fake-homeserver.js';
import { push } from './pusher.js';

export function answerCalls(
  hs: FakeHomeserver,
  user: string,
  answer: (offerSdp: string) => string | Promise<string>,
  log: (line: string) => void,
): void {
  const joined = new Set<string>();
  const append = hs.world.append.bind(hs.world);
  hs.world.append = (room, fields, ts) => {
    const ev = append(room, fields, ts);
    if (fields.type === 'm.call.invite' && fields.sender.startsWith('@sip_')) {
      const callId = String(fields.content.call_id);
      const offer = (fields.content.offer as { sdp: string }).sdp;
      const roomId = room.id;
      // Not from inside `append`: the invite's own transaction goes out first.
      setImmediate(() => {
        void (async () => {
          const sdp = await answer(offer);
          const events = [];
          if (!joined.has(roomId)) {
            joined.add(roomId);
            hs.join(roomId, user);
            events.push(
              hs
                .events(roomId)
                .filter((e) => e.type === 'm.room.member')
                .pop()!,
            );
          }
          const content = {
            call_id: callId,
            party_id: 'bench',
            version: '1',
            answer: { type: 'answer', sdp },
          };
          events.push(hs.send(roomId, user, content, 'm.call.answer'));
          await push(hs, events);
        })().catch((err: unknown) => log(`answer not sent: ${String(err)}`));
      });
    }
    return ev;
  };
}
