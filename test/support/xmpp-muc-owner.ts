// What a MUC's owner (an XMPP test user who made it) does in tests: configure it (a password, say),
// kick an occupant (a bridge's, while the bridge is down, so that its restart is a new join).
import { xml } from '@xmpp/xml';
import { expect } from 'vitest';
import { joinMuc, type XmppUser } from './xmpp-user.js';

const DATA = 'jabber:x:data';

/** An owner's iq to the MUC; resolves when the room answers it with a result. */
async function ownerIq(owner: XmppUser, muc: string, id: string, query: ReturnType<typeof xml>) {
  await owner.send(xml('iq', { type: 'set', to: muc, id }, query));
  const answer = await owner.expect(
    (el) => el.name === 'iq' && el.attrs.id === id,
    `${id} answered`,
  );
  expect(answer.attrs.type).toBe('result');
}

/** `owner` (who made the MUC) sets fields of its configuration form (`muc#roomconfig_…`). */
export function configureMuc(owner: XmppUser, muc: string, fields: Record<string, string>) {
  const field = (v: string, value: string) => xml('field', { var: v }, xml('value', {}, value));
  return ownerIq(
    owner,
    muc,
    `cfg-${muc}`,
    xml(
      'query',
      { xmlns: 'http://jabber.org/protocol/muc#owner' },
      xml(
        'x',
        { xmlns: DATA, type: 'submit' },
        field('FORM_TYPE', 'http://jabber.org/protocol/muc#roomconfig'),
        ...Object.entries(fields).map(([v, value]) => field(v, value)),
      ),
    ),
  );
}

/** `owner` makes the MUC (joining it as `nick`) and gives it a password. */
export async function passwordProtected(
  owner: XmppUser,
  muc: string,
  password: string,
  nick = 'Carol',
): Promise<void> {
  await joinMuc(owner, muc, nick);
  await configureMuc(owner, muc, {
    'muc#roomconfig_passwordprotectedroom': '1',
    'muc#roomconfig_roomsecret': password,
  });
}

/** `owner` kicks the occupant `nick` out of the MUC. */
export const kick = (owner: XmppUser, muc: string, nick: string) =>
  ownerIq(
    owner,
    muc,
    `kick-${muc}-${nick}`,
    xml(
      'query',
      { xmlns: 'http://jabber.org/protocol/muc#admin' },
      xml('item', { nick, role: 'none' }),
    ),
  );
