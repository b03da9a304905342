/**
 * XEP-0425 message moderation in a MUC portal, both ways.
 * XMPP → Matrix: the room's announcement that a moderator retracted a message redacts its
 * Matrix event, by the moderator's ghost (with the reason); one made by a Matrix user's occupant
 * (it came from Matrix, already redacted there) is not redacted again.
 * Matrix → XMPP: a Matrix user's redaction of another's message (an XMPP occupant's or another
 * Matrix user's) is a moderation request from their occupant, which the room refuses unless that
 * occupant is a moderator (told to the user); a room that does not advertise XEP-0425 is said so,
 * nothing is sent. Their own message's redaction stays a XEP-0424 retraction.
 */
import { xml } from '@xmpp/xml';
import { BridgeError, remoteMessageId } from '../../../src/connector.js';
import type { ComponentLink } from '../connection/connection.js';
import { buildModeration, newId, NS, type ParsedMessage } from '../connection/stanzas.js';
import type { XmppDeps } from '../deps.js';
import { mucPortal, safeJid, xmppUser } from '../ids.js';
import type { Archived } from './mam.js';
import { ghostNick, ourOccupant, type Occupant, type Room } from './muc-room.js';
import { kept } from '../util/kept.js';

const DISCO_INFO = 'http://jabber.org/protocol/disco#info';

/** The room's announcement of a moderation (read from the reader's copy, once per stanza-id). */
export function onModeration(
  d: XmppDeps,
  room: Room,
  m: ParsedMessage,
  stanzaId: string | undefined,
): void {
  const moderated = m.moderated;
  if (!moderated) return;
  if (stanzaId) {
    if (room.seen.has(stanzaId)) return;
    room.seen.set(kept(stanzaId), '');
  }
  const by = moderated.by ? safeJid(moderated.by) : undefined;
  const nick = by?.resource && by.bare().toString() === room.jid ? by.resource : undefined;
  const key = mucPortal(room.jid);
  if (nick && ourOccupant(room, nick)) {
    d.ctx.log.debug({ portal: key, stanzaId: moderated.id }, 'our own moderation, reflected');
    return;
  }
  // The moderator's ghost redacts where it has the level (50: what redacting another's event
  // takes by default), else the author's ghost (anyone may redact their own event) saying who
  // did it; failing both, the room's own ghost (core gives up once the homeserver refuses).
  const moderator = nick ? ghostNick(room, nick) : undefined;
  const author = room.seen.get(moderated.id) || undefined;
  const empowered = moderator !== undefined && (room.levels.get(moderator) ?? 0) >= 50;
  const ghost = empowered ? moderator : (author ?? moderator);
  const sender = xmppUser(ghost ? `${room.jid}/${ghost}` : room.jid);
  const reason =
    empowered || !nick
      ? moderated.reason
      : `removed by ${nick}${moderated.reason ? `: ${moderated.reason}` : ''}`;
  void d.chain.run(
    key,
    async () =>
      d.post({
        kind: 'delete',
        portal: key,
        sender,
        target: remoteMessageId(moderated.id),
        ...(reason ? { reason } : {}),
      }),
    (err) => d.ctx.log.warn({ err, portal: key }, 'a moderation was not bridged'),
  );
}

/**
 * Whether the stanza-id is an XMPP occupant's message (not one of ours): one the bridge bridged
 * in this run, else (a restart since, or an older one) as the room's archive tells, by `lookUp`.
 */
export async function isOccupantMessage(
  room: Room,
  stanzaId: string,
  lookUp: (id: string) => Promise<Archived | undefined>,
): Promise<boolean> {
  if (room.seen.has(stanzaId)) return true;
  if (room.origins.has(stanzaId)) return false; // the stanza-id of a message of ours
  const archived = await lookUp(stanzaId).catch(() => undefined);
  const from = archived ? safeJid(archived.message.attrs.from ?? '') : undefined;
  return (
    !!from?.resource && from.bare().toString() === room.jid && !ourOccupant(room, from.resource)
  );
}

/** How far before Matrix's time of a message the room's archive is searched (clocks differ). */
const CLOCK_SLACK_MS = 60_000;

/**
 * The room's stanza-id of a message core names by `target`. Core maps a Matrix message to both
 * its own id and the room's stanza-id (the reflection's), and names it by either: one known in
 * this run is looked up; another (sent before a restart, or past the last 10,000) is found in
 * the room's archive by `find`, read from when Matrix says it was sent. Else `target` as it is.
 */
export async function stanzaIdOf(
  room: Room,
  target: string,
  sentAt: number | undefined,
  find: (id: string, start: number) => Promise<string | undefined>,
): Promise<string> {
  const known = room.ids.get(target);
  if (known) return known;
  if (room.origins.has(target) || room.seen.has(target) || sentAt === undefined) return target;
  return (await find(target, sentAt - CLOCK_SLACK_MS)) ?? target;
}

/**
 * Which XEP-0425 the room advertises in disco#info (1: v0.3+, 0: v0.2), or undefined; asked once
 * per room and kept (a failed question is asked again next time).
 */
export function moderationVersion(
  link: Pick<ComponentLink, 'request'>,
  room: Room,
  from: string,
): Promise<0 | 1 | undefined> {
  room.moderation ??= link
    .request(
      xml(
        'iq',
        { type: 'get', from, to: room.jid, id: newId() },
        xml('query', { xmlns: DISCO_INFO }),
      ),
    )
    .then((answer) => {
      const features = new Set(
        (answer.getChild('query', DISCO_INFO)?.getChildren('feature') ?? []).map(
          (f) => f.attrs.var,
        ),
      );
      return features.has(NS.moderate1) ? 1 : features.has(NS.moderate0) ? 0 : undefined;
    })
    .catch((err: unknown) => {
      room.moderation = undefined;
      throw err;
    });
  return room.moderation;
}

/** A Matrix user's occupant asks the room to retract another occupant's message (`stanzaId`). */
export async function moderate(
  link: Pick<ComponentLink, 'request'>,
  room: Room,
  o: Occupant,
  stanzaId: string,
  reason: string | undefined,
): Promise<void> {
  let version: 0 | 1 | undefined;
  try {
    version = await moderationVersion(link, room, o.full);
  } catch (err) {
    throw new BridgeError(
      'network',
      `could not ask the XMPP room whether it allows moderation: ${(err as Error).message}`,
    );
  }
  if (version === undefined)
    throw new BridgeError(
      'unsupported',
      'the XMPP room does not support message moderation (XEP-0425): the message stays for XMPP users',
    );
  try {
    await link.request(buildModeration(o.full, room.jid, stanzaId, reason, version));
  } catch (err) {
    const condition = (err as { condition?: string }).condition ?? (err as Error).message;
    throw new BridgeError(
      'rejected',
      `the XMPP room refused to remove the message: ${condition} (only its moderators may)`,
    );
  }
}
