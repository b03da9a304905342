/**
 * The XMPP bridge's bot commands, typed as `xmpp <command> …` in a user's management room:
 * bridge a MUC and get its room, start a direct chat with an XMPP user. (A nick in a MUC is
 * the user's display name in its room: Matrix's own `/myroomnick` sets it.)
 */
import type { Command, MatrixUserId, PortalRecord } from '../../../src/connector.js';
import { safeJid } from '../ids.js';

export interface CommandDeps {
  /** The component's domain: its addresses are Matrix users', not XMPP's. */
  domain(): string;
  /** Why a MUC cannot be bridged (a service the config does not allow), or undefined. */
  mucRefused(room: string): string | undefined;
  /** Makes (or finds) the MUC's portal and invites `sender` to its room. */
  openMuc(room: string, sender: MatrixUserId): Promise<PortalRecord>;
  /** The MUC's alias (`#xmpp_<room>=40<service>:<domain>`). */
  mucAlias(room: string): string;
  /** Makes (or finds) `sender`'s direct chat with `contact` and invites them to its room. */
  openChat(contact: string, sender: MatrixUserId): Promise<PortalRecord>;
}

/** A bare `local@domain` address, or why it is not one. */
function bareAddress(input: string, what: string): { jid: string } | { error: string } {
  const j = safeJid(input);
  if (!j || !j.local) return { error: `\`${input}\` is not ${what} (like ${example(what)}).` };
  if (j.resource)
    return { error: `\`${input}\` names one session: give ${what} without the \`/…\` part.` };
  return { jid: j.toString() };
}

const example = (what: string) =>
  what.startsWith('a group chat') ? 'room@conference.example.org' : 'alice@example.org';

export function xmppCommands(deps: CommandDeps): Command[] {
  return [
    {
      name: 'join',
      usage: 'join <room@service>',
      help: 'bridge an XMPP group chat (MUC) and get its room',
      async run(ctx) {
        if (ctx.args.length !== 1) return ctx.reply('Usage: `xmpp join <room@service>`');
        const address = bareAddress(ctx.args[0]!, 'a group chat address');
        if ('error' in address) return ctx.reply(address.error);
        const refused = deps.mucRefused(address.jid);
        if (refused) return ctx.reply(refused);
        const portal = await deps.openMuc(address.jid, ctx.sender);
        return ctx.reply(
          `${address.jid} is bridged to ${portal.roomId} (${deps.mucAlias(address.jid)}): join it there.`,
        );
      },
    },
    {
      name: 'chat',
      usage: 'chat <user@server>',
      help: 'start a direct chat with an XMPP user',
      async run(ctx) {
        if (ctx.args.length !== 1) return ctx.reply('Usage: `xmpp chat <user@server>`');
        const address = bareAddress(ctx.args[0]!, 'an XMPP address');
        if ('error' in address) return ctx.reply(address.error);
        if (safeJid(address.jid)!.domain === deps.domain())
          return ctx.reply(
            `${address.jid} is a Matrix user's address on this bridge: chat on Matrix.`,
          );
        const portal = await deps.openChat(address.jid, ctx.sender);
        return ctx.reply(`Your chat with ${address.jid} is ${portal.roomId}: you are invited.`);
      },
    },
  ];
}
