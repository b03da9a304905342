/** Bot commands a bridge adds, run as `<id> <name> args…` in the management room. */
import type { MatrixUserId } from './ids.js';

export interface CommandContext {
  /** The Matrix user who typed the command. */
  sender: MatrixUserId;
  args: string[];
  /** Whether the sender is an admin in the bridge's config. */
  isAdmin: boolean;
  reply(text: string): Promise<unknown>;
  /**
   * Redacts the command's own Matrix event (the bridge bot does it), for a command that carries a
   * secret (`irc login … <password>`): call it once the arguments are read. Rejects when the bot
   * may not redact there (its power level); absent where core cannot redact at all.
   */
  redactCommand?(reason: string): Promise<void>;
}

export interface Command {
  name: string;
  /** One line of help, shown by `help`. */
  help: string;
  usage?: string;
  requiresAdmin?: boolean;
  run(ctx: CommandContext): Promise<unknown>;
}
