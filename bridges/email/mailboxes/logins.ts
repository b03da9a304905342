/**
 * Per-user mailboxes: `email login <address> <password>` in the management room logs a Matrix user
 * in to their own mailbox on the server the admin configured (`logins`). The bridge checks the
 * login over IMAP, seals the password with `ctx.secrets` before it is stored (`login:<user id>`;
 * the list of users under `logins`), redacts the command's event, and watches the user's folders
 * in rooms of their own (invite-only, the user invited); what they write there is sent from their
 * address. `email logout` ends it; `email whoami` tells. Passwords are never logged or shown.
 */
import { createHash } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import type {
  BridgeContext,
  Command,
  CommandContext,
  KeyValueStore,
  SecretSealer,
} from '../../../src/connector.js';
import { isAddress, normalizeAddress } from '../from-matrix/addresses.js';
import type { EmailConfig, LoginsConfig, MailboxConfig } from '../config.js';
import { imapOptions } from './connection.js';

interface StoredLogin {
  address: string;
  /** The password, sealed by `ctx.secrets`. */
  sealed: string;
}

const INDEX = 'logins';
const loginKey = (userId: string) => `login:${userId}`;

/** A user's mailbox id: `u` and a hash of their user id (a-z 0-9, so it names rooms and logs). */
export const userMailboxId = (userId: string): string =>
  `u${createHash('sha256').update(userId).digest('hex').slice(0, 20)}`;

/** The login name the server expects for an address. */
export const loginName = (config: LoginsConfig, address: string): string =>
  config.username === 'localpart' ? address.slice(0, address.lastIndexOf('@')) : address;

/** The mailbox config of a user's login. */
export function userMailbox(
  config: LoginsConfig,
  userId: string,
  address: string,
  password: string,
): MailboxConfig {
  const user = loginName(config, address);
  const server = <S extends { user?: string | undefined }>(s: S) => ({ ...s, user, password });
  return {
    address,
    name: 'Matrix',
    imap: server(config.imap),
    ...(config.smtp ? { smtp: server(config.smtp) } : {}),
    ...(config.sent_folder ? { sent_folder: config.sent_folder } : {}),
    folders: config.folders.map((folder) => ({
      folder,
      join_rule: 'invite' as const,
      invite: [userId],
      to: [],
    })),
    lists: [],
    allow_senders: [],
    deny_senders: [],
  };
}

export class LoginStore {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly secrets: SecretSealer,
  ) {}

  async users(): Promise<string[]> {
    return (await this.kv.get<string[]>(INDEX)) ?? [];
  }

  /** A user's address and password, or undefined (none, or sealed with another key). */
  async get(userId: string): Promise<{ address: string; password: string } | undefined> {
    const stored = await this.kv.get<StoredLogin>(loginKey(userId));
    if (!stored) return undefined;
    try {
      return { address: stored.address, password: this.secrets.unseal(stored.sealed) };
    } catch {
      return undefined;
    }
  }

  async save(userId: string, address: string, password: string): Promise<void> {
    await this.kv.set<StoredLogin>(loginKey(userId), {
      address,
      sealed: this.secrets.seal(password),
    });
    const users = await this.users();
    if (!users.includes(userId)) await this.kv.set(INDEX, [...users, userId]);
  }

  async remove(userId: string): Promise<void> {
    await this.kv.delete(loginKey(userId));
    await this.kv.set(
      INDEX,
      (await this.users()).filter((u) => u !== userId),
    );
  }
}

/** Whether the server takes the login (an IMAP LOGIN); the server's refusal as a reason. */
export async function checkLogin(
  ctx: BridgeContext<EmailConfig>,
  mailbox: MailboxConfig,
): Promise<string | undefined> {
  const client = new ImapFlow({
    ...imapOptions(mailbox, ctx.config),
    disableAutoIdle: true,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.logout().catch(() => undefined);
    return undefined;
  } catch (err) {
    const e = err as { authenticationFailed?: boolean; message: string };
    client.close();
    return e.authenticationFailed
      ? 'the mail server refused the login (wrong address or password)'
      : `the mail server could not be reached (${e.message})`;
  }
}

export interface LoginDeps {
  ctx: () => BridgeContext<EmailConfig> | undefined;
  store: () => LoginStore | undefined;
  /** Starts the user's mailbox; resolves with the rooms of its folders. */
  start(userId: string, mailbox: MailboxConfig): Promise<string[]>;
  stop(userId: string): Promise<void>;
}

async function redactPassword(ctx: CommandContext): Promise<string> {
  try {
    if (!ctx.redactCommand) throw new Error('no redaction here');
    await ctx.redactCommand('held a mail password');
    return 'I redacted your message, since it held your password.';
  } catch {
    return '⚠️ I could not redact your message with your password: please delete it yourself.';
  }
}

export function loginCommands(deps: LoginDeps): Command[] {
  const usage = 'login <address> <password>';
  return [
    {
      name: 'login',
      usage,
      help: 'bridge your own mailbox: its mail in a room of yours, what you write there sent from your address',
      async run(ctx) {
        const redacted = await redactPassword(ctx);
        const bridge = deps.ctx();
        const store = deps.store();
        const logins = bridge?.config.logins;
        if (!bridge || !store) return ctx.reply('The email bridge is not running.');
        if (!logins)
          return ctx.reply(
            `This bridge takes no logins (no \`logins\` in its config). ${redacted}`,
          );
        const [typed, password] = ctx.args;
        if (ctx.args.length !== 2 || !typed || !password)
          return ctx.reply(`Usage: \`email ${usage}\` (no spaces in the password). ${redacted}`);
        const address = normalizeAddress(typed);
        const domain = address.slice(address.lastIndexOf('@') + 1);
        if (!isAddress(address))
          return ctx.reply(`\`${typed.slice(0, 80)}\` is not a mail address. ${redacted}`);
        if (logins.domains.length && !logins.domains.includes(domain))
          return ctx.reply(
            `This bridge takes logins for ${logins.domains.join(', ')} only. ${redacted}`,
          );
        const mailbox = userMailbox(logins, ctx.sender, address, password);
        const problem = await checkLogin(bridge, mailbox);
        if (problem) return ctx.reply(`Not logged in: ${problem}. ${redacted}`);
        await deps.stop(ctx.sender);
        await store.save(ctx.sender, address, password);
        const rooms = await deps.start(ctx.sender, mailbox);
        bridge.log.info({ user: ctx.sender, address }, 'a user logged in to their mailbox');
        return ctx.reply(
          `Logged in as ${address}: your mail is in ${rooms.join(', ')} (I invited you). ${redacted}`,
        );
      },
    },
    {
      name: 'logout',
      help: 'stop bridging your mailbox and forget your password',
      async run(ctx) {
        const store = deps.store();
        const login = await store?.get(ctx.sender);
        if (!store || !login) return ctx.reply('You are not logged in to a mailbox.');
        await deps.stop(ctx.sender);
        await store.remove(ctx.sender);
        deps.ctx()?.log.info({ user: ctx.sender }, 'a user logged out of their mailbox');
        return ctx.reply(`Logged out of ${login.address}; I forgot your password.`);
      },
    },
    {
      name: 'whoami',
      help: 'the mailbox you are logged in to',
      async run(ctx) {
        const login = await deps.store()?.get(ctx.sender);
        return ctx.reply(
          login ? `You are logged in as ${login.address}.` : 'You are not logged in to a mailbox.',
        );
      },
    },
  ];
}
