/** The lines an IRC connection writes: the IRCv3 capabilities it asks for, tags, JOIN lines, and the CR/LF/NUL check. */

/**
 * IRCv3 capabilities the bridge uses where the server offers them (never `sasl`: irc-framework adds it).
 * `echo-message` with `labeled-response`: the labeled answer to a message line is then its echo,
 * which tells the msgid IRC users' replies (`+draft/reply`) will point at. Echoes are otherwise
 * ignored: every listener skips lines from the bridge's own nicks.
 */
export const CAPS = [
  'server-time',
  'message-tags',
  'multi-prefix',
  'batch',
  'account-tag',
  'extended-join',
  'labeled-response',
  'echo-message',
  'draft/chathistory',
];

/** `line` with one more IRCv3 tag: the first when it has tags (`@a=b PRIVMSG…`), else the only one. */
export const withTag = (line: string, tag: string) =>
  line.startsWith('@') ? `@${tag};${line.slice(1)}` : `@${tag} ${line}`;

export function assertSingleLines(lines: readonly string[]): void {
  if (lines.some((line) => /[\r\n\0]/.test(line)))
    throw new Error('refusing to write an IRC line with CR, LF or NUL');
}

/** `JOIN #channel [key]` (a key never holds spaces, CR or LF: config and commands check it). */
export const joinLine = (channel: string, key: string | undefined) =>
  key ? `JOIN ${channel} ${key}` : `JOIN ${channel}`;
