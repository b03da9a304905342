// Atheme services on the test InspIRCd, as a plain IRC user sees them: registering a NickServ
// account, and the account WHOIS shows for a nick (who is logged in to what).
import IRC from 'irc-framework';
import { ircPort, type IrcUser } from './irc-user.js';
import { waitFor } from './synapse.js';

/** Registers `account` with Atheme's NickServ from a plain connection (no SASL), as an IRC user would. */
export async function registerNickServAccount(account: string, password: string): Promise<void> {
  const client = new IRC.Client();
  try {
    const registered = new Promise<void>((resolve, reject) => {
      client.once('registered', () => resolve());
      client.once('close', () =>
        reject(new Error('could not connect to register a NickServ account')),
      );
    });
    client.connect({
      host: '127.0.0.1',
      port: ircPort(),
      nick: account,
      username: 'reg',
      auto_reconnect: false,
    });
    await registered;
    const answer = new Promise<string>((resolve) =>
      client.on('notice', (e: { nick: string; message: string }) => {
        if (e.nick === 'NickServ') resolve(e.message);
      }),
    );
    // Atheme refuses e-mail addresses without a dot in the domain.
    client.say('NickServ', `REGISTER ${password} ${account}@ci.example`);
    const text = await Promise.race([
      answer,
      new Promise<string>((r) =>
        setTimeout(() => r('no answer from NickServ (is Atheme linked?)'), 10_000),
      ),
    ]);
    if (!/registered/i.test(text)) throw new Error(`NickServ REGISTER failed: ${text}`);
  } finally {
    client.quit('registered');
  }
}

/**
 * The account IRC's WHOIS shows for `nick` (numeric 330), asked by `asker`'s plain client; null if
 * none. Asks again until `nick` is on IRC (a connection that just logged in may still be registering).
 */
export const whoisAccountOf = (asker: IrcUser, nick: string): Promise<string | null> =>
  waitFor(
    async () => {
      const from = asker.raw.length;
      asker.client.raw(`WHOIS ${nick}`);
      const lines = await waitFor(
        () => {
          const seen = asker.raw.slice(from);
          return seen.some((l) => / 318 /.test(l)) ? seen : undefined;
        },
        10_000,
        `the end of the WHOIS of ${nick}`,
      );
      if (!lines.some((l) => / 311 /.test(l))) return undefined; // not on IRC (yet)
      const logged = lines.map((l) => / 330 \S+ (\S+) (\S+) :/.exec(l)).find((m) => m);
      return { account: logged ? logged[2]! : null };
    },
    20_000,
    `${nick} on IRC (WHOIS)`,
  ).then((w) => w.account);
