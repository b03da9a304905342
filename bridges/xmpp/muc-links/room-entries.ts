/**
 * MUCs listed in the config (`bridges.xmpp.rooms`): `'room@conference.example.org'` or
 * `{ muc, room?, password? }`. Each is linked at start, to the given Matrix room or to the room
 * its alias would make (configured-rooms.ts); the password goes into every occupant's join.
 */
import { z } from 'zod';
import type { MatrixRoomId } from '../../../src/connector.js';
import { safeJid } from '../ids.js';

/** A room id: `!abc:example.org`, or `!abc` in room version 12. */
const ROOM_ID = /^![^\s:]+(:\S+)?$/;
/** The password goes as XML text: no control characters (XML cannot carry most of them). */
const PASSWORD = /^[^\x00-\x1f\x7f]{1,1024}$/;

export interface ConfiguredRoom {
  /** The MUC's bare address, as the bridge writes it (lowercase, as its alias gives it). */
  muc: string;
  room?: MatrixRoomId;
  /** Never logged. */
  password?: string;
}

/** Why `password` cannot be a room password (never naming it: it is a secret), or undefined. */
export const passwordProblem = (password: string): string | undefined =>
  PASSWORD.test(password)
    ? undefined
    : 'must be the room password: 1 to 1024 characters without control characters (no line breaks or tabs)';

const EXAMPLE =
  "must be a MUC address like 'dev@conference.example.org' or { muc: 'dev@conference.example.org', room: '!abc:example.org', password: '...' }";

/** Why `address` is not a MUC's bare address, or undefined when it is one. */
function mucProblem(address: string): string | undefined {
  const j = safeJid(address);
  if (!j)
    return `must be a MUC address like dev@conference.example.org (\`${address}\` is not a valid XMPP address)`;
  if (!j.local)
    return `must name a room on a MUC service, like dev@${j.domain} (\`${address}\` is a server)`;
  if (j.resource)
    return `must be the room's bare address, without a nick or resource: ${j.bare().toString()}`;
  return undefined;
}

const normalized = (muc: string) => safeJid(muc)?.toString() ?? muc;

export const roomEntrySchema = z
  .union(
    [
      z.string(),
      z
        .object({
          muc: z.string(),
          room: z.string().optional(),
          password: z.string().optional(),
        })
        .strict(),
    ],
    { message: EXAMPLE },
  )
  .superRefine((entry, ctx) => {
    const muc = typeof entry === 'string' ? entry : entry.muc;
    const problem = mucProblem(muc);
    if (problem)
      ctx.addIssue({
        code: 'custom',
        path: typeof entry === 'string' ? [] : ['muc'],
        message: problem,
      });
    if (typeof entry === 'string') return;
    if (entry.room !== undefined && !ROOM_ID.test(entry.room))
      ctx.addIssue({
        code: 'custom',
        path: ['room'],
        message: entry.room.startsWith('#')
          ? "must be a room id like !abc:example.org, not an alias (the room's settings show its id)"
          : 'must be a room id like !abc:example.org (or !abc in room version 12)',
      });
    const badPassword = entry.password !== undefined && passwordProblem(entry.password);
    if (badPassword) ctx.addIssue({ code: 'custom', path: ['password'], message: badPassword });
  })
  .transform((entry): ConfiguredRoom => {
    if (typeof entry === 'string') return { muc: normalized(entry) };
    return {
      muc: normalized(entry.muc),
      ...(entry.room !== undefined ? { room: entry.room as MatrixRoomId } : {}),
      ...(entry.password !== undefined ? { password: entry.password } : {}),
    };
  });

/**
 * What is wrong with the list as a whole (by entry index): a MUC listed twice, one on the
 * component's own domain (those are Matrix rooms seen from XMPP, not MUCs to bridge), or one on a
 * service `muc_hosts` leaves out (its alias would not find it).
 */
export function roomListProblems(
  // As parsed so far: an entry refused already may be anything (zod runs this check anyway).
  rooms: readonly unknown[],
  componentDomain: string,
  mucHosts: readonly string[],
): { index: number; message: string }[] {
  const problems: { index: number; message: string }[] = [];
  const seen = new Set<string>();
  rooms.forEach((entry, index) => {
    const muc = (entry as Partial<ConfiguredRoom> | undefined)?.muc;
    if (typeof muc !== 'string') return;
    if (seen.has(muc))
      problems.push({ index, message: `lists ${muc} a second time: keep one entry per MUC` });
    seen.add(muc);
    const host = muc.slice(muc.lastIndexOf('@') + 1);
    if (host === componentDomain)
      problems.push({
        index,
        message: `must be a MUC of the XMPP server, not a Matrix room on the component (${componentDomain})`,
      });
    else if (mucHosts.length > 0 && !mucHosts.includes(host))
      problems.push({
        index,
        message: `is on ${host}, which muc_hosts leaves out: add ${host} to muc_hosts, or take the entry out`,
      });
  });
  return problems;
}
