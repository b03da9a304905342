/**
 * A command that carries a secret (`irc login`'s password, `irc join`'s channel key) redacts its
 * own event: off the homeserver, and out of core's inbox, where the event was stored before it ran.
 */
import type { CommandContext } from '../../../src/connector.js';

/** Redacts the command's event, which held `what`; the sentence that tells the user so. */
export async function redactSecret(ctx: CommandContext, what: string): Promise<string> {
  try {
    if (!ctx.redactCommand) throw new Error('no redaction here');
    await ctx.redactCommand(`held ${what}`);
    return `I redacted your message, since it held ${what}.`;
  } catch {
    return `⚠️ I could not redact your message with ${what}: please delete it yourself.`;
  }
}
