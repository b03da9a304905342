/**
 * Who is behind a private conversation's nick, where the server tags messages with the sender's
 * services account (IRCv3 `account-tag`): nicks are first come, first served, so when the account
 * behind a conversation's nick changes (logged out, or someone else took the nick), the Matrix
 * user is warned before that message. Kept in memory: after a restart the next message sets it.
 */
export class PmAccounts {
  /** PM portal key → the account its nick's messages last came from. */
  private readonly accounts = new Map<string, string>();

  /**
   * A message in conversation `key` from `nick`, sent with `account` (undefined: not logged in).
   * Returns the warning to show before it, when the account is not the one before.
   */
  heard(key: string, nick: string, account: string | undefined): string | undefined {
    const before = this.accounts.get(key);
    if (account) this.accounts.set(key, account);
    else this.accounts.delete(key); // warned once: later messages from the same stranger are not
    if (!before || before === account) return undefined;
    const now = account ? `logged in as ${account}` : 'not logged in';
    return `⚠️ ${nick} is ${now}, but earlier messages here came from the account ${before}: this may be someone else.`;
  }
}
