import { xml, type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import type { RemoteEvent } from '../../../src/connector.js';
import { KeyedChain } from '../util/chain.js';
import { IqError } from '../connection/iq.js';
import type { XmppDeps } from '../deps.js';
import { newRoom, type Occupant } from '../muc/muc-room.js';
import { unlockRoom } from './room-unlock.js';

const ROOM = 'new@conference.example.org';
const OCCUPANT = { full: 'nia\\3aexample.org@matrix.example.org/matrix' } as Occupant;

/** Deps whose MUC service answers each configuration with the next of `answers` (null: ok). */
function deps(answers: (string | null)[]) {
  const sent: Element[] = [];
  const emitted: RemoteEvent[] = [];
  const logs: string[] = [];
  const log = {
    child: () => log,
    info: (_: unknown, msg?: string) => logs.push(`info ${msg ?? String(_)}`),
    warn: (_: unknown, msg?: string) => logs.push(`warn ${msg ?? String(_)}`),
  };
  const d = {
    ctx: { log, config: { create_rooms: true } },
    chain: new KeyedChain(),
    link: {
      request: async (el: Element) => {
        sent.push(el);
        const condition = answers.shift();
        if (condition) throw new IqError(condition, 'cancel', undefined);
        return xml('iq', { type: 'result' });
      },
    },
    emit: async (e: RemoteEvent) => void emitted.push(e),
  } as unknown as XmppDeps;
  /** What each configuration sent submitted: its fields' names and values. */
  const forms = () =>
    sent.map((iq) => {
      const form = iq.getChild('query', 'http://jabber.org/protocol/muc#owner')?.getChild('x');
      expect(iq.attrs).toMatchObject({ type: 'set', from: OCCUPANT.full, to: ROOM });
      expect(form?.attrs).toMatchObject({ xmlns: 'jabber:x:data', type: 'submit' });
      return (form?.getChildren('field') ?? []).map(
        (f) => `${f.attrs.var}=${f.getChildText('value')}`,
      );
    });
  return { d, forms, emitted, logs };
}

describe('a room our join made (status 201) is unlocked (XEP-0045 §10.1)', () => {
  it('configured persistent, the rest as the service has it', async () => {
    const { d, forms, emitted } = deps([null]);
    await unlockRoom(d, newRoom(ROOM), OCCUPANT);
    expect(forms()).toEqual([
      ['FORM_TYPE=http://jabber.org/protocol/muc#roomconfig', 'muc#roomconfig_persistentroom=1'],
    ]);
    expect(emitted).toEqual([]);
  });

  it('where the service refuses a persistent room, as an instant room', async () => {
    const { d, forms, emitted } = deps(['not-acceptable', null]);
    await unlockRoom(d, newRoom(ROOM), OCCUPANT);
    expect(forms()).toEqual([expect.any(Array), []]);
    expect(emitted).toEqual([]);
  });

  it('left locked: logged, and the Matrix room told once', async () => {
    const { d, emitted, logs } = deps(['forbidden', 'forbidden', 'forbidden', 'forbidden']);
    const room = newRoom(ROOM);
    await unlockRoom(d, room, OCCUPANT);
    await unlockRoom(d, room, OCCUPANT);
    await d.chain.idle();
    expect(logs.filter((l) => l.startsWith('warn'))).toHaveLength(2);
    expect(emitted).toHaveLength(1);
    expect(emitted[0]).toMatchObject({ kind: 'message', portal: `muc/${ROOM}` });
    expect(JSON.stringify(emitted[0])).toContain(
      `The XMPP room ${ROOM} was created by this bridge but stays locked (its configuration was refused: forbidden)`,
    );
  });
});
