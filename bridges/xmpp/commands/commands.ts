/**
 * The XMPP bridge's bot commands, typed as `xmpp <command> …` in a user's management room:
 * bridge a MUC and get its room, start a direct chat with an XMPP user. (A nick in a MUC is
 * the user's display name in its room: Matrix's own `/myroomnick` sets it.)
 */
import type {
  Command,
  CommandContext,
  MatrixUserId,
  PortalRecord,
} from '../../../src/connector.js';
import { safeJid } from '../ids.js';

export interface CommandDeps {
  /** The component's domain: its addresses are Matrix users', not XMPP's. */
  domain(): string;
  /**
   * Why a MUC cannot be bridged (a service the config does not allow, a room that does not
   * exist while the bridge may not create rooms), or undefined.
   */
  mucRefused(room: string): Promise<string | undefined>;
  /** Makes (or finds) the MUC's portal and invites `sender` to its room. */
  openMuc(room: string, sender: MatrixUserId): Promise<PortalRecord>;
  /** The MUC's alias (`#xmpp_<room>=40<service>:<domain>`). */
  mucAlias(room: string): string;
  /** Makes (or finds) `sender`'s direct chat with `contact` and invites them to its room. */
  openChat(contact: string, sender: MatrixUserId): Promise<PortalRecord>;
}

/** What a command's one argument must be: its words, and an example. */
const GROUP_CHAT = { what: 'a group chat address', like: 'room@conference.example.org' };
const USER = { what: 'an XMPP address', like: 'alice@example.org' };

/**
 * A command taking one bare `local@domain` address: a wrong count of arguments gets the usage,
 * a malformed address or one with a resource says why; `run` gets the address normalised.
 */
function addressCommand(
  name: string,
  usage: string,
  help: string,
  kind: typeof GROUP_CHAT,
  run: (jid: string, ctx: CommandContext) => Promise<unknown>,
): Command {
  return {
    name,
    usage,
    help,
    async run(ctx) {
      if (ctx.args.length !== 1) return ctx.reply(`Usage: \`xmpp ${usage}\``);
      const input = ctx.args[0]!;
      const j = safeJid(input);
      if (!j || !j.local) return ctx.reply(`\`${input}\` is not ${kind.what} (like ${kind.like}).`);
      if (j.resource)
        return ctx.reply(
          `\`${input}\` names one session: give ${kind.what} without the \`/…\` part.`,
        );
      return run(j.toString(), ctx);
    },
  };
}

export function xmppCommands(deps: CommandDeps): Command[] {
  return [
    addressCommand(
      'join',
      'join <room@service>',
      'bridge an XMPP group chat (MUC) and get its room',
      GROUP_CHAT,
      async (room, ctx) => {
        const refused = await deps.mucRefused(room);
        if (refused) return ctx.reply(refused);
        const portal = await deps.openMuc(room, ctx.sender);
        return ctx.reply(
          `${room} is bridged to ${portal.roomId} (${deps.mucAlias(room)}): join it there.`,
        );
      },
    ),
    addressCommand(
      'chat',
      'chat <user@server>',
      'start a direct chat with an XMPP user',
      USER,
      async (contact, ctx) => {
        if (safeJid(contact)!.domain === deps.domain())
          return ctx.reply(`${contact} is a Matrix user's address on this bridge: chat on Matrix.`);
        const portal = await deps.openChat(contact, ctx.sender);
        return ctx.reply(`Your chat with ${contact} is ${portal.roomId}: you are invited.`);
      },
    ),
  ];
}
