/**
 * `sip link <number or address> <room>` and `sip unlink <number or address>` in the management
 * room: the sender's conversation with a phone number or SIP address lives in an existing Matrix
 * room of theirs (a room with colleagues, say) instead of a DM the bridge makes. Texts and calls
 * with that party then go through that room, as they would through the DM: only the sender texts
 * and calls from it (their line), and the party's texts and calls to them arrive there. The
 * sender must be a moderator of the room (power level 50, or its creator); the bot must be able
 * to join it (invited, or a public room). The dial plan decides, as for a DM.
 */
import type {
  Command,
  MatrixRoomView,
  MatrixUserId,
  PortalKey,
  RemoteUserId,
} from '../../../src/connector.js';
import { partyFromInput } from '../ids.js';
import { reachableParty, type PartyRefusal } from './reachable-party.js';

/** The power level a user needs in a room to link it (Matrix's moderator). */
export const LINK_POWER = 50;

export interface LinkCommandDeps extends PartyRefusal {
  /** The room by id or alias, the bot in it (undefined: it cannot see or join it). */
  room(aliasOrId: string): Promise<MatrixRoomView | undefined>;
  /** Links `roomId` as the conversation of `user` with `party` (the ghost joins it). */
  link(user: MatrixUserId, party: RemoteUserId, roomId: string): Promise<PortalKey>;
  /** Unlinks the conversation's room (it stays); resolves with the room, if it had one. */
  unlink(user: MatrixUserId, party: RemoteUserId): Promise<string | undefined>;
}

/** Why `user` may not link `room` (undefined: they may). */
export function linkRefusal(room: MatrixRoomView, user: MatrixUserId): string | undefined {
  const member = room.members.find((m) => m.userId === user);
  if (!member) return 'you are not in that room';
  if (!member.creator && member.powerLevel < LINK_POWER)
    return `you need to be a moderator there (power level ${LINK_POWER})`;
  return undefined;
}

export function linkCommands(deps: () => LinkCommandDeps | undefined): Command[] {
  const usage = 'link <number or SIP address> <room id or alias>';
  return [
    {
      name: 'link',
      usage,
      help: 'texts and calls with a number or SIP address go through an existing room of yours (invite me to it first)',
      async run(ctx) {
        const roomArg = ctx.args[ctx.args.length - 1];
        const text = ctx.args.slice(0, -1).join(' ');
        if (!text || !roomArg || !/^[!#]/.test(roomArg))
          return ctx.reply(
            `Usage: \`sip ${usage}\`, e.g. \`sip link +1 555 123 4567 #sales:example.org\`.`,
          );
        const reachable = await reachableParty(ctx, text, deps);
        if (!reachable) return;
        const { party, d } = reachable;
        const room = await d.room(roomArg).catch(() => undefined);
        if (!room)
          return ctx.reply(
            `I cannot join ${roomArg}: invite me to it first (or check its id or alias).`,
          );
        const cannot = linkRefusal(room, ctx.sender);
        if (cannot) return ctx.reply(`Cannot link ${room.roomId}: ${cannot}.`);
        await d.link(ctx.sender, party, room.roomId);
        return ctx.reply(
          `Linked ${room.roomId} to your conversation with ${party}: your texts and calls there go to ${party} (only yours: it is your line), and theirs to you arrive there.`,
        );
      },
    },
    {
      name: 'unlink',
      usage: 'unlink <number or SIP address>',
      help: 'your conversation with a number or SIP address goes back to a direct chat (the linked room stays)',
      async run(ctx) {
        const party = partyFromInput(ctx.args.join(' '));
        if (!party) return ctx.reply('Usage: `sip unlink <number or SIP address>`.');
        const d = deps();
        if (!d) return ctx.reply('The SIP bridge is not running.');
        const roomId = await d.unlink(ctx.sender, party);
        return ctx.reply(
          roomId
            ? `Unlinked ${roomId} from your conversation with ${party}: the next text or call opens a direct chat.`
            : `Your conversation with ${party} had no room.`,
        );
      },
    },
  ];
}
