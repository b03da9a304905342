/**
 * The IRC bridge's bot commands, typed as `irc <command> …` in a user's management room:
 * join a channel, choose a nick (remembered), WHOIS, reconnect and quit the user's own connection.
 */
import type {
  Command,
  CommandContext,
  KeyValueStore,
  PortalRecord,
} from '../../../src/connector.js';
import type { IrcNetwork } from '../connection/client.js';
import { isChannelName } from '../ids.js';
import { changeNick, describeWhois, whois } from '../connection/requests.js';
import { joinCommand } from './join-command.js';
import { loginCommand, logoutCommand, type LoginDeps } from './login.js';

/** RFC 2812 nicks (up to 31 characters, as the third-party lookups take). */
export const NICK = /^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]{0,30}$/;

export interface CommandDeps {
  network(id: string): IrcNetwork | undefined;
  networkIds(): string[];
  /** Makes (or finds) the channel's portal, the bot in the channel; invites `sender` to a new room. */
  openChannel(
    network: string,
    channel: string,
    sender: CommandContext['sender'],
  ): Promise<PortalRecord>;
  /** The channel's alias (`#irc_<network>_#channel:<domain>`). */
  channelAlias(network: string, channel: string): string;
  kv: KeyValueStore;
  /** Remembers a channel's key (`irc join … <key>`), sealed (key-store.ts). */
  rememberChannelKey(network: string, channel: string, key: string): Promise<void>;
  /** Stores a user's services account sealed (`irc login`; undefined: `irc logout`). */
  saveAccount: LoginDeps['saveAccount'];
}

/** The kv key of the nicks users chose on a network: `{ [matrixUserId]: nick }`. */
export const chosenNicksKey = (network: string) => `nicks:${network}`;

const localpart = (userId: string) => userId.slice(1, userId.indexOf(':'));

/** A command whose first argument is a network id; `argc` counts all arguments. */
function networkCommand(
  deps: CommandDeps,
  name: string,
  usage: string,
  argc: number,
  help: string,
  run: (ctx: CommandContext, network: IrcNetwork) => Promise<unknown>,
): Command {
  return {
    name,
    usage,
    help,
    async run(ctx) {
      const [id] = ctx.args;
      if (ctx.args.length !== argc || !id) return ctx.reply(`Usage: \`irc ${usage}\``);
      const network = deps.network(id);
      if (!network)
        return ctx.reply(
          `There is no IRC network \`${id}\`. Networks: ${deps.networkIds().join(', ')}.`,
        );
      return run(ctx, network);
    },
  };
}

/** For commands about the sender's own connection: a network in relay mode gives none. */
function ownConnection(
  run: (ctx: CommandContext, network: IrcNetwork) => Promise<unknown>,
): (ctx: CommandContext, network: IrcNetwork) => Promise<unknown> {
  return (ctx, network) =>
    network.config.mode === 'relay'
      ? ctx.reply(
          `${network.id} relays Matrix users through the bridge's bot: you have no IRC connection of your own there.`,
        )
      : run(ctx, network);
}

export function ircCommands(deps: CommandDeps): Command[] {
  return [
    joinCommand(deps),
    networkCommand(
      deps,
      'nick',
      'nick <network> <nick>',
      2,
      'change your IRC nick (kept for your next connections)',
      ownConnection(async (ctx, network) => {
        const nick = ctx.args[1]!;
        if (!NICK.test(nick)) return ctx.reply(`\`${nick}\` is not a valid IRC nick.`);
        const puppet = network.puppetFor(ctx.sender, localpart(ctx.sender));
        await puppet.ready();
        const result =
          puppet.nick === nick ? { ok: true as const, nick } : await changeNick(puppet, nick);
        if (!result.ok)
          return ctx.reply(`${network.id} refused the nick ${nick}: ${result.reason}`);
        puppet.preferNick(result.nick);
        network.chosenNicks.set(ctx.sender, result.nick);
        await deps.kv.set(chosenNicksKey(network.id), Object.fromEntries(network.chosenNicks));
        return ctx.reply(`Your nick on ${network.id} is now ${result.nick}.`);
      }),
    ),
    networkCommand(
      deps,
      'whois',
      'whois <network> <nick>',
      2,
      'who an IRC user is (WHOIS)',
      async (ctx, network) => {
        const nick = ctx.args[1]!;
        if (!NICK.test(nick)) return ctx.reply(`\`${nick}\` is not a valid IRC nick.`);
        await network.bot.ready();
        return ctx.reply(describeWhois(await whois(network.bot, nick)));
      },
    ),
    networkCommand(
      deps,
      'reconnect',
      'reconnect <network>',
      1,
      'drop your IRC connection and connect again',
      ownConnection(async (ctx, network) => {
        const existing = network.puppet(ctx.sender);
        existing?.reconnect();
        const puppet = existing ?? network.puppetFor(ctx.sender, localpart(ctx.sender));
        await puppet.ready();
        return ctx.reply(`Connected to ${network.id} as ${puppet.nick}.`);
      }),
    ),
    networkCommand(
      deps,
      'quit',
      'quit <network>',
      1,
      'disconnect from IRC (your next message connects again)',
      async (ctx, network) =>
        ctx.reply(
          network.removePuppet(ctx.sender, 'Disconnected from Matrix')
            ? `Disconnected from ${network.id}.`
            : `You are not connected to ${network.id}.`,
        ),
    ),
    loginCommand(deps),
    logoutCommand(deps),
  ].map((command) => withImpliedNetwork(deps, command));
}

/**
 * With one network configured, its id may be left out (`irc join #rust`, `irc nick bob`): it is
 * put first when fewer arguments came than the usage requires, or when the first is a channel.
 */
function withImpliedNetwork(deps: CommandDeps, command: Command): Command {
  const required = (command.usage?.match(/<[^>]+>/g) ?? []).length;
  return {
    ...command,
    run(ctx) {
      const ids = deps.networkIds();
      const [first] = ctx.args;
      const omitted = ctx.args.length < required || (first !== undefined && isChannelName(first));
      if (ids.length !== 1 || !omitted) return command.run(ctx);
      return command.run({ ...ctx, args: [ids[0]!, ...ctx.args] });
    },
  };
}
