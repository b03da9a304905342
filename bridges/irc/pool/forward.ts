/**
 * What the pool forwards of a puppet's connection (`open.forward: 'own'`). A puppet sitting in a
 * channel hears every line of it, as the bot does; with N puppets in one channel each line said
 * there reached the bridge N + 1 times, each as a Redis stream entry to read, parse and
 * acknowledge (a million entries for 1,000 puppets saying one line each), and the echo a
 * puppet's send waits for queued behind all of them. The bridge reads channels through its bot
 * alone; of a puppet's connection it needs only what concerns the puppet: private messages,
 * numerics and server notices, the answers to its own lines (labeled, or sourced from its own
 * nick: its JOIN, PART, KICK, MODE, TOPIC, NICK), batches, and nick changes (a private
 * conversation follows its nick). Channel chatter and the comings and goings of others
 * (PRIVMSG, NOTICE and TAGMSG to a channel; JOIN, PART, QUIT, AWAY, ACCOUNT, CHGHOST, SETNAME,
 * TOPIC and channel MODE by another nick) are dropped in the pool.
 */

/** Lines by others that a puppet's connection forwards only when addressed to its nick (a PM, a user mode). */
const TO_US_ONLY = new Set(['PRIVMSG', 'NOTICE', 'TAGMSG', 'MODE']);
/** Lines by others that a puppet's connection never forwards. */
const OTHERS_DOINGS = new Set([
  'JOIN',
  'PART',
  'QUIT',
  'AWAY',
  'ACCOUNT',
  'CHGHOST',
  'SETNAME',
  'TOPIC',
]);

/** Whether a puppet connection holding `nick` forwards `line` (a raw line from the server) to the bridge. */
export function forwardsToPuppet(line: string, nick: string): boolean {
  let rest = line;
  if (rest.startsWith('@')) {
    const space = rest.indexOf(' ');
    const tags = rest.slice(1, space);
    // An answer to one of our labeled lines, or a line of a batch (history, labeled answers).
    if (/(?:^|;)(?:label|batch)=/.test(tags)) return true;
    rest = rest.slice(space + 1);
  }
  if (!rest.startsWith(':')) return true; // no source: from the server
  const space = rest.indexOf(' ');
  const source = rest.slice(1, space);
  const bang = source.indexOf('!');
  if (bang < 0) return true; // a server (numerics, server notices)
  const me = nick.toLowerCase();
  if (source.slice(0, bang).toLowerCase() === me) return true; // our own doing
  rest = rest.slice(space + 1);
  const end = rest.indexOf(' ');
  const command = (end < 0 ? rest : rest.slice(0, end)).toUpperCase();
  if (OTHERS_DOINGS.has(command)) return false;
  if (!TO_US_ONLY.has(command)) return true; // NICK, KICK, INVITE, …
  if (end < 0) return true;
  const after = rest.slice(end + 1);
  const targetEnd = after.indexOf(' ');
  const target = (targetEnd < 0 ? after : after.slice(0, targetEnd)).replace(/^:/, '');
  return target.toLowerCase() === me;
}
