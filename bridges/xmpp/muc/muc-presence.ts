/**
 * MUC presences (XEP-0045 §7): our occupants' joins confirmed or refused (a taken nick is retried
 * with a suffix and the user told), nicks the room gave, kicks and bans of Matrix users; XMPP
 * occupants' comings and goings (as the reader occupant sees them) as their ghosts' memberships.
 */
import type { Element } from '@xmpp/xml';
import { BridgeError } from '../../../src/connector.js';
import type { XmppDeps } from '../deps.js';
import { mucPortal, safeJid, xmppUser } from '../ids.js';
import { saveOccupantIdsSoon } from './occupant-ids.js';
import {
  notedNick,
  isReader,
  ourOccupant,
  powerLevelOf,
  presenceReaderOf,
  type Occupant,
  type Room,
} from './muc-room.js';
import { parseOccupantPresence } from './muc-stanzas.js';
import { conflictNick } from './nicks.js';
import { outcast } from './outcasts.js';
import { roomNotice } from './room-notice.js';
import { unlockRoom } from '../muc-links/room-unlock.js';
import type { AvatarSource } from '../avatars/ghost-avatars.js';
import { presencePhotoHash } from '../avatars/vcard.js';
import { kept } from '../util/kept.js';

const MAX_CONFLICTS = 5;

export interface PresenceHost {
  d: XmppDeps;
  rooms: Map<string, Room>;
  store(room: Room): Promise<void>;
  join(room: Room, o: Occupant): Promise<void>;
  /** An XMPP occupant's ghost (named by `ghost`, shown as `nick`) joins the room (once). */
  arrived(room: Room, ghost: string, nick?: string): Promise<void>;
  /** Our occupant's join was confirmed (before the room's next stanzas are read). */
  joined(room: Room, o: Occupant): void;
  /** Our occupant's affiliation, as the room tells it at the join and at each change. */
  affiliation(room: Room, o: Occupant, affiliation: string | undefined): void;
  /** An XMPP occupant's ghost left the room (its private chats are told: private.ts). */
  left(room: Room, ghost: string, nick: string, newNick?: string): void;
}

export function onPresence(host: PresenceHost, el: Element): void {
  const from = safeJid(el.attrs.from ?? '');
  const room = from && host.rooms.get(from.bare().toString());
  if (!from || !room || !from.resource) return;
  const nick = from.resource;
  const p = parseOccupantPresence(el);
  const to = el.attrs.to;
  const mine = [...room.occupants.values()].find((o) => o.full === to);
  if (!mine) return;
  const key = mucPortal(room.jid);
  // About our own occupant: a join confirmed or refused, a nick the room gave, a kick.
  if (p.error && mine.state === 'joining' && nick === mine.nick) {
    void refused(host, room, mine, p.error, p.errorText);
    return;
  }
  if (p.codes.has('110')) {
    if (p.available) {
      const changed = mine.nick !== nick;
      if (changed) mine.nick = kept(nick);
      if (mine.state !== 'joined') {
        mine.state = 'joined';
        room.passwordRefused = false;
        mine.settle?.();
        host.joined(room, mine);
      }
      // 201: our join made the room, locked until its owner (our occupant) configures it.
      if (p.codes.has('201')) room.unlocking = unlockRoom(host.d, room, mine);
      host.affiliation(room, mine, p.affiliation);
      if (changed) void host.store(room);
    } else if (p.codes.has('303') && p.newNick) {
      mine.nick = kept(p.newNick);
    } else if (mine.state === 'joined') {
      mine.state = 'left';
      const removal = p.codes.has('301') ? 'ban' : p.codes.has('307') ? 'kick' : undefined;
      if (removal && isReader(mine))
        host.d.ctx.log.warn(
          { portal: key, removal },
          "the bridge's own occupant was removed from the MUC: it reads the room again when it rejoins (a restart, a reconnect)",
        );
      else if (removal)
        void host.d.chain.run(
          key,
          () =>
            host.d.emit({
              kind: 'membership',
              portal: key,
              sender: xmppUser(room.jid),
              membership: removal,
              matrixUser: mine.userId,
              ...(p.reason ? { reason: p.reason } : {}),
            }),
          (err) => host.d.ctx.log.warn({ err, portal: key }, 'a MUC kick was not bridged'),
        );
    }
    return;
  }
  // Others, as the reader sees them; our own users' occupants are not ghosts.
  if (presenceReaderOf(room) !== mine || ourOccupant(room, nick)) return;
  // Ghosts are named by nick; with XEP-0421 occupant-ids, by the first nick the occupant had.
  const known = room.occupantIds.size;
  const ghost = notedNick(room, nick, p.occupantId);
  if (room.occupantIds.size !== known) saveOccupantIdsSoon(host.d.ctx.kv, room);
  const user = xmppUser(`${room.jid}/${ghost}`);
  const renamed =
    !p.available && p.codes.has('303') && p.newNick && p.occupantId ? p.newNick : undefined;
  if (renamed) {
    // A nick change the room tells with the occupant's id: the same ghost, renamed.
    room.ghostNicks.delete(nick);
    if (renamed !== ghost) room.ghostNicks.set(kept(renamed), kept(ghost));
  } else if (!p.available) room.ghostNicks.delete(nick);
  // A ban of an occupant whose address the room tells: their account's ghost is banned too.
  const outcastJid = p.codes.has('301') && p.realJid ? safeJid(p.realJid)?.bare() : undefined;
  if (outcastJid) outcast(host.d, room, outcastJid.toString(), p.reason);
  void host.d.chain.run(
    key,
    async () => {
      if (renamed) {
        if (room.remote.has(ghost))
          await host.d.ctx.setGhostProfile(user, { displayName: renamed });
        return;
      }
      if (p.available) {
        if (p.realJid) room.realJids.set(kept(ghost), kept(p.realJid));
        await host.arrived(room, ghost, nick);
        await setLevel(host, room, ghost, powerLevelOf(p.affiliation, p.role));
        return;
      }
      await setLevel(host, room, ghost, 0);
      if (!room.remote.delete(ghost)) return;
      host.left(room, ghost, nick, p.codes.has('303') ? p.newNick : undefined);
      const membership = p.codes.has('301') ? 'ban' : p.codes.has('307') ? 'kick' : 'leave';
      await host.d.emit({
        kind: 'membership',
        portal: key,
        sender: user,
        membership,
        ...(p.reason ? { reason: p.reason } : {}),
      });
      if (p.codes.has('303') && p.newNick) await host.arrived(room, p.newNick);
    },
    (err) => host.d.ctx.log.warn({ err, portal: key }, 'a MUC presence was not bridged'),
  );
  // After the ghost's join (or leave): the chain keeps the order.
  if (!renamed)
    occupantProfile(
      host,
      el,
      { ghost: user, portal: key, from: mine.full, to: from.toString() },
      p.available,
    );
}

/** A join refused: a taken nick is retried with a suffix (and the user told); else it fails. */
async function refused(
  host: PresenceHost,
  room: Room,
  o: Occupant,
  condition: string,
  text?: string,
): Promise<void> {
  if (condition === 'conflict' && o.conflicts < MAX_CONFLICTS) {
    o.conflicts++;
    o.nick = conflictNick(o.wanted, o.conflicts);
    void host.join(room, o).catch(() => undefined); // the first join settles with it
    await host.store(room);
    await tell(
      host,
      room,
      o,
      `In the XMPP room ${room.jid}, the nick "${o.wanted}" is taken: you are "${o.nick}" there.`,
    );
    return;
  }
  // Another of our occupants' join made the room just now, locked until it is configured: this
  // one goes again after that (once per unlock).
  const unlocking = room.unlocking;
  if (condition === 'item-not-found' && unlocking && o.waitedUnlock !== unlocking) {
    o.waitedUnlock = unlocking;
    await unlocking;
    void host.join(room, o).catch(() => undefined); // the first join settles with it
    return;
  }
  const why = text ? `${condition}: ${text}` : condition;
  if (condition === 'not-authorized') return passwordRefused(host.d, room, o, why);
  const refusal = joinRefusal(room.jid, condition, why);
  o.settle?.(new BridgeError('rejected', refusal));
  await tell(host, room, o, `${refusal[0]!.toUpperCase()}${refusal.slice(1)}.`);
}

/**
 * A refused join in words. `item-not-found` from a room that answers (it exists: the link asked)
 * is a locked room (XEP-0045 §10.1.1: made by someone on XMPP who has not configured it yet;
 * Prosody and ejabberd answer so), which a bare condition would not tell the Matrix user.
 */
export function joinRefusal(room: string, condition: string, why: string): string {
  if (condition === 'item-not-found')
    return `the XMPP room ${room} is locked, so it is not available (${why}): whoever made it on XMPP has not configured it yet. Your next message here tries again`;
  return `the XMPP room ${room} refused you (${why})`;
}

/** What to fix when a MUC refuses the bridge's password, by where that password came from. */
const PASSWORD_FIXES = {
  config: {
    fix: 'the password the bridge has for it (bridges.xmpp.rooms) is wrong',
    log: 'a password-protected MUC refused the configured password: check bridges.xmpp.rooms',
  },
  link: {
    fix: 'the password it was linked with is wrong (link it again with the right one)',
    log: 'a password-protected MUC refused the password of its link: link it again with the right one',
  },
  none: {
    fix: 'give its password in the bridge config (bridges.xmpp.rooms) or with its link',
    log: 'a password-protected MUC refused a join: give its password in bridges.xmpp.rooms or with its link',
  },
} as const;

/**
 * A join refused as not-authorized: the room wants a password (XEP-0045 §7.2.6) and the bridge
 * has none for it, or a wrong one. Logged at each refusal; the room is told once (until a join
 * succeeds), since every Matrix user's join fails alike. The password itself is never written.
 */
async function passwordRefused(d: XmppDeps, room: Room, o: Occupant, why: string): Promise<void> {
  const { fix, log } = PASSWORD_FIXES[room.passwordFrom ?? 'none'];
  d.ctx.log.warn(
    { portal: mucPortal(room.jid), muc: room.jid, passwordFrom: room.passwordFrom ?? 'none' },
    log,
  );
  o.settle?.(new BridgeError('rejected', `the XMPP room ${room.jid} refused you (${why}): ${fix}`));
  if (room.passwordRefused) return;
  room.passwordRefused = true;
  await roomNotice(
    d,
    room,
    `The XMPP room ${room.jid} is password-protected and refused Matrix users: ${fix}. Nothing said here reaches it until then.`,
  );
}

/**
 * Tells a Matrix user about their occupant: in their management room, or, when they have none, in
 * the portal room as a notice of the MUC's own ghost (never silently).
 */
async function tell(host: PresenceHost, room: Room, o: Occupant, text: string): Promise<void> {
  if (isReader(o)) {
    // No Matrix user to tell, so the room is: while the reader is out, only the occupants of
    // Matrix users who spoke can read the MUC.
    host.d.ctx.log.warn({ portal: mucPortal(room.jid) }, `the bridge's own occupant: ${text}`);
    await roomNotice(host.d, room, `The bridge's own occupant, which reads this MUC: ${text}`);
    return;
  }
  if (await host.d.ctx.notify(o.userId, text).catch(() => false)) return;
  await roomNotice(host.d, room, `${o.userId}: ${text}`);
}

/** Affiliations and roles as the ghost's power level (owner 100, admin/moderator 50), when changed. */
async function setLevel(
  host: PresenceHost,
  room: Room,
  nick: string,
  level: number,
): Promise<void> {
  if ((room.levels.get(nick) ?? 0) === level) return;
  if (level === 0) room.levels.delete(nick);
  else room.levels.set(kept(nick), level);
  const user = xmppUser(`${room.jid}/${nick}`);
  await host.d.emit({
    kind: 'power-levels',
    portal: mucPortal(room.jid),
    sender: user,
    levels: [{ user, level }],
  });
}

/**
 * An XMPP occupant's presence on their ghost (online, away, gone) and their avatar (the XEP-0153
 * hash in it: the vCard is asked of their occupant, which the room forwards to their account).
 */
function occupantProfile(host: PresenceHost, el: Element, src: AvatarSource, here: boolean): void {
  const avatars = host.d.avatars;
  if (!avatars) return;
  if (!here) {
    avatars.setPresence(src, 'offline');
    return;
  }
  const show = el.getChildText('show');
  const status = el.getChildText('status')?.trim().slice(0, 512) || undefined;
  avatars.setPresence(src, show && show !== 'chat' ? 'unavailable' : 'online', status);
  const hash = presencePhotoHash(el);
  if (hash !== undefined) avatars.told(src, hash);
}
