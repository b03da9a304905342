/**
 * `irc join <network> <#channel> [key]`: bridges a channel (the bot joins it) and answers its room.
 * A key (+k) is remembered for the network, so the bot and every puppet join with it, also after
 * restarts (sealed: key-store.ts), and the command's event is redacted (it held the key).
 */
import type { Command } from '../../../src/connector.js';
import { CHANNEL_KEY_RULE, isChannelKey } from '../channels/channel-config.js';
import type { CommandDeps } from './commands.js';
import { redactSecret } from './redact-secret.js';
import { isChannelName } from '../ids.js';

const USAGE = 'join <network> <#channel> [key]';

export function joinCommand(deps: CommandDeps): Command {
  return {
    name: 'join',
    usage: USAGE,
    help: 'bridge an IRC channel and get its room (with its key, for a +k channel)',
    async run(ctx) {
      const [id, channel, key] = ctx.args;
      if (ctx.args.length < 2 || ctx.args.length > 3 || !id || !channel)
        return ctx.reply(`Usage: \`irc ${USAGE}\``);
      const network = deps.network(id);
      if (!network)
        return ctx.reply(
          `There is no IRC network \`${id}\`. Networks: ${deps.networkIds().join(', ')}.`,
        );
      if (!isChannelName(channel))
        return ctx.reply(`\`${channel}\` is not a channel name (like #rust).`);
      let redacted = '';
      if (key !== undefined) {
        if (!isChannelKey(key)) return ctx.reply(`That key cannot be used: ${CHANNEL_KEY_RULE}.`);
        redacted = ` ${await redactSecret(ctx, "the channel's key")}`;
        await deps.rememberChannelKey(network.id, channel, key);
        // The bot's connection keeps the key for its rejoins; openChannel waits for this join.
        network.bot.join(channel, key).catch(() => undefined); // openChannel reports a failure
      }
      const portal = await deps.openChannel(network.id, channel, ctx.sender);
      return ctx.reply(
        `${channel.toLowerCase()} on ${network.id} is bridged to ${portal.roomId} (${deps.channelAlias(network.id, channel)}): join it there.${redacted}`,
      );
    },
  };
}
