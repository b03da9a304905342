/**
 * The MUC's outcast list (XEP-0045 §9.1–9.2) ↔ Matrix bans of the outcasts' address ghosts
 * (`@xmpp_<bare JID>`: the ghost of the account, not of a nick, so a ban holds before and after
 * they come). From XMPP: the list is read when the reader occupant enters the room (where it may:
 * an admin or owner), and each ban the room announces (to its moderators in a semi-anonymous
 * room, to everyone in a non-anonymous one; Prosody announces bans of users not in the room with
 * a message from the room itself, XEP-0045 example 195) is a Matrix ban, and a ban lifted (in
 * such a notice, or missing from the list) is lifted in Matrix. From Matrix: a ban of an
 * address ghost makes the address an outcast, an unban ends it. The outcasts the bridge knows
 * are kept in its store, so neither side's ban comes back to the other twice.
 */
import { xml, type Element } from '@xmpp/xml';
import { BridgeError, type MatrixMembership } from '../../../src/connector.js';
import type { XmppDeps } from '../deps.js';
import { mucPortal, safeJid, xmppUser } from '../ids.js';
import { newId, NS } from '../connection/stanzas.js';
import { xmlText } from '../connection/xml-text.js';
import type { Occupant, Room } from './muc-room.js';
import { kept } from '../util/kept.js';

export const outcastsKey = (room: string) => `muc/${room}/outcasts`;

/** A bare user address (a ghost's remote id) that can be an outcast of `room`; else undefined. */
export function outcastAddress(room: Room, ghost: string): string | undefined {
  const j = safeJid(ghost);
  if (!j || j.resource || !j.local) return undefined;
  const bare = j.bare().toString();
  return bare === room.jid ? undefined : bare;
}

async function save(d: XmppDeps, room: Room, outcasts: Set<string>): Promise<void> {
  await d.ctx.kv.set(outcastsKey(room.jid), [...outcasts]);
}

async function known(d: XmppDeps, room: Room): Promise<Set<string>> {
  room.outcasts ??= new Set(
    (await d.ctx.kv.get<string[]>(outcastsKey(room.jid)).catch(() => undefined)) ?? [],
  );
  return room.outcasts;
}

/**
 * New outcasts on XMPP: their address ghosts are banned in Matrix (once). `lifted`: addresses no
 * longer outcasts (the whole list was read, or the room announced it): their bans are lifted.
 */
async function banned(
  d: XmppDeps,
  room: Room,
  list: { jid: string; reason?: string }[],
  lifted: (outcasts: Set<string>) => string[] = () => [],
): Promise<void> {
  const outcasts = await known(d, room);
  const fresh = list.filter((o) => !outcasts.has(o.jid));
  const gone = lifted(outcasts).filter((jid) => outcasts.has(jid));
  if (fresh.length === 0 && gone.length === 0) return;
  for (const o of fresh) outcasts.add(kept(o.jid));
  for (const jid of gone) outcasts.delete(jid);
  await save(d, room, outcasts);
  const portal = mucPortal(room.jid);
  for (const o of fresh)
    d.post({
      kind: 'membership',
      portal,
      sender: xmppUser(o.jid),
      membership: 'ban',
      ...(o.reason ? { reason: o.reason } : {}),
    });
  for (const jid of gone)
    d.post({ kind: 'membership', portal, sender: xmppUser(jid), membership: 'unban' });
}

/** Reads the room's outcast list through our occupant (refused unless it is an admin or owner). */
export async function readOutcasts(d: XmppDeps, room: Room, reader: Occupant): Promise<void> {
  let answer: Element;
  try {
    answer = await d.link.request(
      xml(
        'iq',
        { type: 'get', from: reader.full, to: room.jid, id: newId() },
        xml('query', { xmlns: NS.mucAdmin }, xml('item', { affiliation: 'outcast' })),
      ),
    );
  } catch (err) {
    d.ctx.log.debug({ err, portal: mucPortal(room.jid) }, 'the MUC did not tell its outcasts');
    return;
  }
  const items = answer.getChild('query', NS.mucAdmin)?.getChildren('item') ?? [];
  const list = items.flatMap((i) => {
    const jid = i.attrs.jid ? safeJid(i.attrs.jid) : undefined;
    if (!jid || i.attrs.affiliation !== 'outcast') return [];
    const reason = i.getChildText('reason') ?? undefined;
    return [{ jid: jid.bare().toString(), ...(reason ? { reason } : {}) }];
  });
  // The whole list: who is no longer on it had their ban lifted while the bridge was away.
  const listed = new Set(list.map((o) => o.jid));
  await banned(d, room, list, (outcasts) => [...outcasts].filter((jid) => !listed.has(jid)));
}

/** `bare` is an outcast of the room now (announced, or an occupant banned): banned in Matrix. */
export function outcast(d: XmppDeps, room: Room, bare: string, reason?: string): void {
  const portal = mucPortal(room.jid);
  void d.chain.run(
    portal,
    () => banned(d, room, [{ jid: bare, ...(reason ? { reason } : {}) }]),
    (err) => d.ctx.log.warn({ err, portal }, 'an XMPP ban was not bridged'),
  );
}

/**
 * A message from the room itself announcing an affiliation change (XEP-0045 example 195): an
 * address made outcast is banned in Matrix. True when it was one (and is handled).
 */
export function onAffiliationNotice(d: XmppDeps, room: Room, el: Element): boolean {
  const item = el.getChild('x', NS.mucUser)?.getChild('item');
  const jid = item?.attrs.jid ? safeJid(item.attrs.jid) : undefined;
  if (!item || !jid || !item.attrs.affiliation) return false;
  const bare = jid.bare().toString();
  if (item.attrs.affiliation === 'outcast')
    outcast(d, room, bare, item.getChildText('reason') ?? undefined);
  else {
    // Not an outcast (any more): a ban lifted on XMPP is lifted in Matrix.
    const portal = mucPortal(room.jid);
    void d.chain.run(
      portal,
      () => banned(d, room, [], () => [bare]),
      (err) => d.ctx.log.warn({ err, portal }, 'an XMPP unban was not bridged'),
    );
  }
  return true;
}

/**
 * A Matrix ban or unban of an address ghost: the sender's occupant makes the address an outcast
 * of the room, or ends that (XEP-0045 §9.1–9.2); the room refuses unless that occupant may.
 */
export async function matrixBan(
  d: XmppDeps,
  room: Room,
  address: string,
  change: MatrixMembership,
  actor: () => Promise<Occupant>,
): Promise<void> {
  const outcasts = await known(d, room);
  const ban = change.membership === 'ban';
  if (ban === outcasts.has(address)) return; // what XMPP told us: nothing to do there
  const o = await actor();
  // Noted first: the room announces the ban before it answers, and that is not a new one.
  if (ban) outcasts.add(kept(address));
  else outcasts.delete(address);
  try {
    await d.link.request(
      xml(
        'iq',
        { type: 'set', from: o.full, to: room.jid, id: newId() },
        xml(
          'query',
          { xmlns: NS.mucAdmin },
          xml(
            'item',
            { jid: address, affiliation: ban ? 'outcast' : 'none' },
            ban && change.reason ? xml('reason', {}, xmlText(change.reason)) : null,
          ),
        ),
      ),
    );
  } catch (err) {
    if (ban) outcasts.delete(address);
    else outcasts.add(kept(address));
    const condition = (err as { condition?: string }).condition ?? (err as Error).message;
    throw new BridgeError(
      'rejected',
      `the XMPP room refused to ${ban ? 'ban' : 'lift the ban of'} ${address}: ${condition}`,
    );
  }
  await save(d, room, outcasts);
}
