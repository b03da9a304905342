/**
 * A Matrix user kicked or banned an XMPP occupant's ghost: their own occupant does it in the MUC
 * (XEP-0045 §8.2 role none; §9.1 affiliation outcast where the room told the real address), which
 * the room refuses unless that occupant may.
 */
import { xml } from '@xmpp/xml';
import {
  BridgeError,
  type MatrixMembership,
  type MatrixPowerLevels,
  type MatrixSender,
} from '../../../src/connector.js';
import type { XmppDeps } from '../deps.js';
import type { ComponentLink } from '../connection/connection.js';
import { matrixUserJid, safeJid } from '../ids.js';
import { currentNick, type Occupant, type Room } from './muc-room.js';
import { newId, NS } from '../connection/stanzas.js';
import { xmlText } from '../connection/xml-text.js';

export async function kickOrBan(
  link: ComponentLink,
  room: Room,
  ghost: string,
  change: MatrixMembership,
  occupantOf: (sender: MatrixSender) => Promise<Occupant>,
): Promise<void> {
  const j = safeJid(ghost);
  if (!j?.resource || j.bare().toString() !== room.jid) return;
  const o = await occupantOf(change.sender);
  const realJid = room.realJids.get(j.resource);
  const nick = currentNick(room, j.resource);
  const outcast = change.membership === 'ban' && realJid ? safeJid(realJid)?.bare() : undefined;
  const item = xml(
    'item',
    outcast ? { jid: outcast.toString(), affiliation: 'outcast' } : { nick, role: 'none' },
    change.reason ? xml('reason', {}, xmlText(change.reason)) : null,
  );
  try {
    await link.request(
      xml(
        'iq',
        { type: 'set', from: o.full, to: room.jid, id: newId() },
        xml('query', { xmlns: NS.mucAdmin }, item),
      ),
    );
  } catch (err) {
    const condition = (err as { condition?: string }).condition ?? (err as Error).message;
    throw new BridgeError('rejected', `the XMPP room refused to remove ${nick}: ${condition}`);
  }
}

export interface LevelChange {
  level: number;
  previous: number;
  /** A Matrix user's address on the component (their occupant's real address). */
  matrixJid?: string;
  /** An XMPP occupant's nick (their ghost's level changed). */
  nick?: string;
}

/** The changes that concern this MUC: its ghosts', and its Matrix users' occupants'. */
export function levelChanges(d: XmppDeps, room: Room, change: MatrixPowerLevels): LevelChange[] {
  return change.changes.flatMap((c): LevelChange[] => {
    const ghost = d.ctx.ghostRemoteId(c.userId);
    const g = ghost ? safeJid(ghost) : undefined;
    if (g)
      return g.resource && g.bare().toString() === room.jid ? [{ ...c, nick: g.resource }] : [];
    const own = matrixUserJid(c.userId, d.link.domain);
    return room.occupants.has(c.userId) && own ? [{ ...c, matrixJid: own }] : [];
  });
}

/** The affiliation a Matrix power level stands for (100: owner, 50: admin, else member). */
export const affiliationFor = (level: number) =>
  level >= 100 ? 'owner' : level >= 50 ? 'admin' : 'member';

/**
 * A Matrix user changed power levels in a MUC portal: their occupant asks the room to change
 * affiliations (XEP-0045 §9–10) of the Matrix users' occupants (by their addresses) and of the
 * XMPP occupants whose real address the room told; of the others, the role (moderator from 50).
 * Each change the room refuses (the sender's occupant may not) is told to the sender.
 */
export async function setLevels(
  link: ComponentLink,
  room: Room,
  actor: Occupant,
  changes: LevelChange[],
): Promise<void> {
  const refused: string[] = [];
  for (const c of changes) {
    const realJid = c.matrixJid ?? (c.nick ? room.realJids.get(c.nick) : undefined);
    const bare = realJid ? safeJid(realJid)?.bare().toString() : undefined;
    let item;
    if (bare) item = xml('item', { jid: bare, affiliation: affiliationFor(c.level) });
    else if (c.nick)
      item = xml('item', {
        nick: currentNick(room, c.nick),
        role: c.level >= 50 ? 'moderator' : 'participant',
      });
    else continue;
    try {
      await link.request(
        xml(
          'iq',
          { type: 'set', from: actor.full, to: room.jid, id: newId() },
          xml('query', { xmlns: NS.mucAdmin }, item),
        ),
      );
    } catch (err) {
      refused.push(
        `${c.nick ?? bare}: ${(err as { condition?: string }).condition ?? (err as Error).message}`,
      );
    }
  }
  if (refused.length)
    throw new BridgeError('rejected', `the XMPP room refused ${refused.join('; ')}`);
}

/** A Matrix unban of a ghost whose real address the room told: their outcast affiliation ends. */
export async function unban(
  link: ComponentLink,
  room: Room,
  ghost: string,
  actor: Occupant,
): Promise<void> {
  const j = safeJid(ghost);
  const realJid = j?.resource ? room.realJids.get(j.resource) : undefined;
  const bare = realJid ? safeJid(realJid)?.bare().toString() : undefined;
  if (!bare || j?.bare().toString() !== room.jid) return;
  await link
    .request(
      xml(
        'iq',
        { type: 'set', from: actor.full, to: room.jid, id: newId() },
        xml('query', { xmlns: NS.mucAdmin }, xml('item', { jid: bare, affiliation: 'none' })),
      ),
    )
    .catch((err: unknown) => {
      throw new BridgeError(
        'rejected',
        `the XMPP room refused to lift the ban: ${(err as { condition?: string }).condition ?? String(err)}`,
      );
    });
}
