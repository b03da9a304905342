/**
 * `sip login <user> <password> [<auth user>]` and `sip logout` in the management room: a Matrix
 * user's own SIP account (see signalling/lines.ts). The command's event is redacted first (it holds a
 * password); the account is kept only when the registrar takes it.
 */
import type { Command, CommandContext } from '../../../src/connector.js';
import type { UserLines } from '../signalling/lines.js';

async function redactPassword(ctx: CommandContext): Promise<string> {
  try {
    if (!ctx.redactCommand) throw new Error('no redaction here');
    await ctx.redactCommand('held a SIP password');
    return 'I redacted your message, since it held your password.';
  } catch {
    return '⚠️ I could not redact your message with your password: please delete it yourself.';
  }
}

export function loginCommands(lines: () => UserLines | undefined): Command[] {
  const usage = 'login <user> <password> [<auth user>]';
  return [
    {
      name: 'login',
      usage,
      help: 'register your own SIP account: calls and texts to it reach you, yours go out from it',
      async run(ctx) {
        const redacted = await redactPassword(ctx); // whatever was typed may hold the password
        const [username, password, authUsername] = ctx.args;
        if (ctx.args.length < 2 || ctx.args.length > 3 || !username || !password)
          return ctx.reply(`Usage: \`sip ${usage}\` (no spaces in the password). ${redacted}`);
        const l = lines();
        if (!l) return ctx.reply(`The SIP bridge is not running. ${redacted}`);
        const outcome = await l.login(ctx.sender, {
          username,
          password,
          ...(authUsername ? { auth_username: authUsername } : {}),
        });
        if (!outcome.ok)
          return ctx.reply(
            `Login as ${username} failed: ${outcome.reason}. Your password was not saved. ${redacted}`,
          );
        return ctx.reply(
          `Registered as ${outcome.aor}: calls and texts to it reach you here, and yours go out from it. ${redacted}`,
        );
      },
    },
    {
      name: 'logout',
      help: 'unregister your own SIP account and forget it',
      async run(ctx) {
        const l = lines();
        if (!l) return ctx.reply('The SIP bridge is not running.');
        return ctx.reply(
          (await l.logout(ctx.sender))
            ? 'Your SIP account is unregistered and forgotten: you call and text through the trunk again.'
            : 'You have no SIP account of your own here.',
        );
      },
    },
  ];
}
