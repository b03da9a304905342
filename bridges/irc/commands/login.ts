/**
 * `irc login <network> <account> <password>` and `irc logout <network>`: a Matrix user's IRC
 * services account, sent as SASL PLAIN whenever their puppet connects. Login redacts the command
 * first (it holds the password), reconnects the puppet with the account and answers what the
 * server said; only an account the server accepted is stored (sealed, accounts.ts).
 */
import type { Logger } from 'pino';
import type { Command, CommandContext } from '../../../src/connector.js';
import type { IrcNetwork } from '../connection/client.js';
import type { IrcConnection, SaslAccount } from '../connection/connection.js';
import { redactSecret } from './redact-secret.js';

/** How long login waits for the server's SASL answer (a reconnect, through the connect limiter). */
const SASL_ANSWER_MS = 30_000;

export interface LoginDeps {
  network(id: string): IrcNetwork | undefined;
  networkIds(): string[];
  /** Stores the user's account sealed; undefined forgets it. */
  saveAccount(network: string, userId: string, account: SaslAccount | undefined): Promise<void>;
}

export type SaslOutcome = { ok: true; account: string } | { ok: false; reason: string };

interface SaslFailed {
  reason: string;
  message?: string;
}

const FAILURES: Record<string, string> = {
  capability_missing: 'the IRC server does not offer SASL',
  unsupported_mechanism: 'the IRC server does not take SASL PLAIN',
  nick_locked: 'the account is locked',
};

/**
 * The server's answer to the SASL login of the puppet's next registration: irc-framework emits
 * `loggedin` (900) or `sasl failed` (904 and the like, or no `sasl` cap) before `registered` (001).
 * Listen before the connection (re)connects.
 */
export function saslOutcome(
  puppet: IrcConnection,
  timeoutMs = SASL_ANSWER_MS,
): Promise<SaslOutcome> {
  const client = puppet.client;
  return new Promise((resolve) => {
    const finish = (outcome: SaslOutcome) => {
      clearTimeout(timer);
      client.off('loggedin', onLoggedIn);
      client.off('sasl failed', onFailed);
      client.off('registered', onRegistered);
      resolve(outcome);
    };
    const onLoggedIn = (e: { account: string }) => finish({ ok: true, account: e.account });
    const onFailed = (e: SaslFailed) =>
      finish({ ok: false, reason: FAILURES[e.reason] ?? e.message ?? e.reason });
    const onRegistered = () =>
      finish({
        ok: false,
        reason: 'the IRC server registered the connection without a SASL answer',
      });
    const timer = setTimeout(
      () => finish({ ok: false, reason: `no answer from the IRC server in ${timeoutMs / 1000} s` }),
      timeoutMs,
    );
    client.on('loggedin', onLoggedIn);
    client.on('sasl failed', onFailed);
    client.on('registered', onRegistered);
  });
}

/**
 * Logs the answer to the bot's SASL login (`bot_sasl`) at each connect: its account (never the
 * password), and on a failure the server's reason, as an error: the bot carries on without it.
 */
export function watchBotLogin(bot: IrcConnection, account: string, log: Logger): void {
  bot.client.on('loggedin', (e: { account: string }) =>
    log.info({ account: e.account }, 'the IRC bot logged in to its services account (SASL)'),
  );
  bot.client.on('sasl failed', (e: SaslFailed) =>
    log.error(
      { account, reason: FAILURES[e.reason] ?? e.message ?? e.reason },
      'the IRC bot could not log in to its services account (bot_sasl): it stays connected without it',
    ),
  );
}

const localpart = (userId: string) => userId.slice(1, userId.indexOf(':'));

/** (Re)connects the user's puppet and resolves with the server's SASL answer. */
function reconnectForLogin(network: IrcNetwork, ctx: CommandContext): Promise<SaslOutcome> {
  const existing = network.puppet(ctx.sender);
  const puppet = existing ?? network.puppetFor(ctx.sender, localpart(ctx.sender));
  const outcome = saslOutcome(puppet);
  existing?.reconnect();
  return outcome;
}

const noNetwork = (deps: LoginDeps, id: string) =>
  `There is no IRC network \`${id}\`. Networks: ${deps.networkIds().join(', ')}.`;

/** Puts back the account the user had before a login that failed. */
function restore(network: IrcNetwork, userId: string, previous: SaslAccount | undefined): void {
  if (previous) network.accounts.set(userId, previous);
  else network.accounts.delete(userId);
}

export function loginCommand(deps: LoginDeps): Command {
  const usage = 'login <network> <account> <password>';
  return {
    name: 'login',
    usage,
    help: 'log in to your IRC services account (SASL), now and on every later connection',
    async run(ctx) {
      // Whatever was typed may hold the password: the event goes first.
      const redacted = await redactSecret(ctx, 'your password');
      const [id, account, password] = ctx.args;
      if (ctx.args.length !== 3 || !id || !account || !password)
        return ctx.reply(`Usage: \`irc ${usage}\` (no spaces in the password). ${redacted}`);
      const network = deps.network(id);
      if (!network) return ctx.reply(`${noNetwork(deps, id)} ${redacted}`);
      if (network.config.mode === 'relay')
        return ctx.reply(
          `${network.id} relays Matrix users through the bridge's bot: you have no connection of your own to log in with. ${redacted}`,
        );
      const previous = network.accounts.get(ctx.sender);
      network.accounts.set(ctx.sender, { account, password });
      const outcome = await reconnectForLogin(network, ctx).catch((err: unknown) => {
        restore(network, ctx.sender, previous);
        throw err;
      });
      if (outcome.ok) {
        await deps.saveAccount(network.id, ctx.sender, { account, password });
        return ctx.reply(
          `Logged in to ${network.id} as ${outcome.account} (SASL). Your connections log in with it from now on. ${redacted}`,
        );
      }
      restore(network, ctx.sender, previous);
      // Back to how it was: with the earlier account, if there was one.
      if (previous) network.puppet(ctx.sender)?.reconnect();
      return ctx.reply(
        `Login to ${network.id} as ${account} failed: ${outcome.reason}. Your password was not saved. ${redacted}`,
      );
    },
  };
}

export function logoutCommand(deps: LoginDeps): Command {
  const usage = 'logout <network>';
  return {
    name: 'logout',
    usage,
    help: 'forget your IRC services login and reconnect without it',
    async run(ctx) {
      const [id] = ctx.args;
      if (ctx.args.length !== 1 || !id) return ctx.reply(`Usage: \`irc ${usage}\``);
      const network = deps.network(id);
      if (!network) return ctx.reply(noNetwork(deps, id));
      const hadLogin = network.accounts.delete(ctx.sender);
      // Also drops a stored login that could not be opened at start (another secret key).
      await deps.saveAccount(network.id, ctx.sender, undefined);
      if (!hadLogin) return ctx.reply(`You are not logged in on ${network.id}.`);
      const puppet = network.puppet(ctx.sender);
      puppet?.reconnect();
      return ctx.reply(
        `Logged out of ${network.id}: your password is forgotten${puppet ? ' and your connection reconnected without it' : ''}.`,
      );
    },
  };
}
