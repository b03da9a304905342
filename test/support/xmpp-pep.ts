// XEP-0084 avatars in an XMPP test user's PEP (XEP-0163), as clients publish them.
import { createHash } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import type { XmppUser } from './xmpp-user.js';

const PUBSUB = 'http://jabber.org/protocol/pubsub';
export const AVATAR_DATA = 'urn:xmpp:avatar:data';
export const AVATAR_METADATA = 'urn:xmpp:avatar:metadata';

export const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

/** Publishes `payload` as item `id` of `node`; `open`: anyone may read it (publish-options). */
export function publishPep(
  user: XmppUser,
  node: string,
  id: string,
  payload: Element,
  open: boolean,
): Promise<Element> {
  const options = xml(
    'publish-options',
    {},
    xml(
      'x',
      { xmlns: 'jabber:x:data', type: 'submit' },
      xml(
        'field',
        { var: 'FORM_TYPE', type: 'hidden' },
        xml('value', {}, `${PUBSUB}#publish-options`),
      ),
      xml('field', { var: 'pubsub#access_model' }, xml('value', {}, 'open')),
    ),
  );
  const iq = xml(
    'iq',
    { type: 'set' },
    xml(
      'pubsub',
      { xmlns: PUBSUB },
      xml('publish', { node }, xml('item', { id }, payload)),
      open ? options : null,
    ),
  );
  return user.client.iqCaller.request(iq).catch((err: Error) => {
    throw new Error(`${user.jid}: publish to ${node}: ${err.message}`);
  });
}

/**
 * A PNG as the user's XEP-0084 avatar: its data, readable by anyone; with `metadata`, its
 * metadata too (which notifies contacts whose server asked for it). The item id: its SHA-1.
 */
export async function publishPepAvatar(
  user: XmppUser,
  image: Buffer,
  opts: { metadata: boolean },
): Promise<string> {
  const id = sha1(image);
  const data = xml('data', { xmlns: AVATAR_DATA }, image.toString('base64'));
  await publishPep(user, AVATAR_DATA, id, data, true);
  if (opts.metadata) {
    const info = xml('info', { id, type: 'image/png', bytes: String(image.length) });
    await publishPep(
      user,
      AVATAR_METADATA,
      id,
      xml('metadata', { xmlns: AVATAR_METADATA }, info),
      false,
    );
  }
  return id;
}
