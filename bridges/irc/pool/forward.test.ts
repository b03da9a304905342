// What the pool forwards of a puppet's connection: what concerns the puppet, not the channel's chatter.
import { describe, expect, it } from 'vitest';
import { forwardsToPuppet } from './forward.js';

const me = 'Alice[m]';
describe('forwardsToPuppet', () => {
  it.each([
    ['a PM to the puppet', ':dan!d@h PRIVMSG alice[m] :hi'],
    ['a CTCP or notice to the puppet', ':dan!d@h NOTICE Alice[m] :psst'],
    ['a PM with tags', '@time=2026-01-01T00:00:00Z;msgid=x :dan!d@h PRIVMSG alice[m] :hi'],
    ['a numeric', ':irc.test 433 alice[m] bob :Nickname is already in use'],
    ['a server notice', ':irc.test NOTICE * :*** Looking up your hostname'],
    ['a line without source', 'ERROR :Closing link'],
    ['its own JOIN', ':alice[m]!a@h JOIN #chan'],
    ['its own echoed message', ':alice[m]!a@h PRIVMSG #chan :hello'],
    ['a labeled answer', '@label=7;msgid=y :alice[m]!a@h PRIVMSG #chan :hello'],
    ['a batched line', '@batch=b1;time=t :dan!d@h PRIVMSG #chan :old line'],
    ['a BATCH line', ':irc.test BATCH +b1 chathistory #chan'],
    ['a nick change (a PM follows it)', ':dan!d@h NICK dan2'],
    ['a kick of the puppet', ':op!o@h KICK #chan alice[m] :out'],
    ['an invite', ':op!o@h INVITE alice[m] #chan'],
    ['a user mode on the puppet', ':op!o@h MODE alice[m] +i'],
  ])('forwards %s', (_what, line) => expect(forwardsToPuppet(line, me)).toBe(true));

  it.each([
    ['a channel message', ':dan!d@h PRIVMSG #chan :hello all'],
    ['a channel message with tags', '@time=t;msgid=z :dan!d@h PRIVMSG #chan :hello all'],
    ['a channel notice', ':dan!d@h NOTICE #chan :note'],
    ['a channel TAGMSG', '@+typing=active :dan!d@h TAGMSG #chan'],
    ['a message to channel ops', ':dan!d@h PRIVMSG @#chan :ops only'],
    ['another puppet joining', ':bob[m]!b@h JOIN #chan'],
    ['an extended join', ':bob[m]!b@h JOIN #chan acct :Bob'],
    ['a part', ':bob[m]!b@h PART #chan :bye'],
    ['a quit', ':bob[m]!b@h QUIT :Quit: bye'],
    ['an away', ':bob[m]!b@h AWAY :gone'],
    ['a channel mode', ':op!o@h MODE #chan +o bob[m]'],
    ['a topic', ':op!o@h TOPIC #chan :new topic'],
  ])('drops %s', (_what, line) => expect(forwardsToPuppet(line, me)).toBe(false));
});
