// A gateway moderation settled by Matrix: announced only when the redaction was taken, and the
// moderator's iq answered (by its handler, or on its own after a restart: `lateAnswer`).
import type { Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import type { XmppDeps } from '../deps.js';
import type { ModerationRef } from '../messages/outcomes.js';
import type { GwRoom } from './gateway-room.js';
import { lateAnswer, moderationDone } from './gateway-moderation.js';

const ROOM = '#r#localhost@matrix.localhost';
const ref: ModerationRef = {
  t: 'moderation',
  alias: '#r:localhost',
  iq: { id: 'iq1', from: 'alice@localhost/phone', to: ROOM },
  nick: 'Alice',
  stanzaId: 's1',
  reason: 'spam',
};

function setup() {
  const sent: Element[] = [];
  const d = { link: { send: async (el: Element) => void sent.push(el) } } as unknown as XmppDeps;
  const room = {
    occupants: new Map([['bob@localhost/pc', { roomJid: ROOM, full: 'bob@localhost/pc' }]]),
  } as unknown as GwRoom;
  return { d, room, sent };
}

describe('a settled gateway moderation', () => {
  it('is announced and answered with an empty result once Matrix took it', async () => {
    const { d, room, sent } = setup();
    const answer = await moderationDone(d, room, ref, { delivered: true });
    expect(answer).toBeNull();
    expect(sent.map((el) => el.attrs.to)).toEqual(['bob@localhost/pc']);
    expect(lateAnswer(ref, answer).attrs).toEqual({
      type: 'result',
      from: ROOM,
      to: 'alice@localhost/phone',
      id: 'iq1',
    });
  });

  it('is the iq’s error, announced to nobody, when Matrix refused it', async () => {
    const { d, room, sent } = setup();
    const answer = await moderationDone(d, room, ref, {
      delivered: false,
      errcode: 'M_FORBIDDEN',
      reason: 'the Matrix room does not let you send that (M_FORBIDDEN)',
    });
    expect(sent).toEqual([]);
    const late = lateAnswer(ref, answer);
    expect(late.attrs.type).toBe('error');
    expect(late.getChild('error')?.getChild('forbidden')).toBeDefined();
  });
});
