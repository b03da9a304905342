import { describe, expect, it } from 'vitest';
import type { MatrixMessage } from '../../../src/connector.js';
import { BridgeError } from '../../../src/connector.js';
import { composeMail, splitHeaderLines } from './compose.js';
import { mailboxSchema } from '../config.js';
import type { ThreadRecord } from '../portals/threads.js';

const mailbox = mailboxSchema.parse({
  address: 'team@example.org',
  name: 'Team',
  imap: { host: 'imap.example.org', user: 'team', password: 'x' },
  smtp: { host: 'smtp.example.org' },
  folders: [{ folder: 'INBOX' }],
});
const folder = mailbox.folders[0]!;

const message = (text: string, extra: Partial<MatrixMessage> = {}): MatrixMessage =>
  ({
    portal: 'team/INBOX',
    roomId: '!r:example.org',
    eventId: '$e',
    sender: { userId: '@alice:example.org', displayName: 'Alice' },
    timestamp: 0,
    content: { kind: 'text', text },
    ...extra,
  }) as MatrixMessage;

const compose = (text: string, thread?: ThreadRecord, extra: Partial<MatrixMessage> = {}) =>
  composeMail({
    msg: message(text, extra),
    mailbox,
    folder,
    ...(thread ? { thread } : {}),
    maxBodyBytes: 1000,
  });

const thread: ThreadRecord = {
  root: '<root@x>',
  subject: 'Numbers',
  participants: ['bob@x.org', 'team@example.org', 'carol@x.org'],
  references: ['<root@x>', '<r1@x>', '<r2@x>'],
};

describe('composeMail', () => {
  it('answers a thread: Re: subject, In-Reply-To the latest, References, its correspondents but the mailbox', () => {
    const mail = compose('thanks', thread);
    expect(mail).toMatchObject({
      subject: 'Re: Numbers',
      inReplyTo: '<r2@x>',
      references: ['<root@x>', '<r1@x>', '<r2@x>'],
      to: ['bob@x.org', 'carol@x.org'],
      from: { name: 'Alice (via Team)', address: 'team@example.org' },
      replyTo: 'team@example.org',
      text: 'thanks',
    });
    expect(mail.messageId).toMatch(/^<[0-9a-f]{32}@example\.org>$/);
  });

  it('gives a mail sent again for the same Matrix event the same Message-ID, another event another', () => {
    expect(compose('thanks', thread).messageId).toBe(compose('thanks', thread).messageId);
    const other = compose('thanks', thread, { eventId: '$other' as MatrixMessage['eventId'] });
    expect(other.messageId).not.toBe(compose('thanks', thread).messageId);
  });

  it('answers a mailing list thread on the list only', () => {
    expect(compose('x', { ...thread, list: 'dev@lists.x.org' }).to).toEqual(['dev@lists.x.org']);
  });

  it('answers the replied-to mail when the Matrix message is a real reply in the thread', () => {
    expect(compose('x', thread, { replyTo: '<r1@x>' as never }).inReplyTo).toBe('<r1@x>');
  });

  it('starts a new mail from To:/Cc:/Subject: lines; the first line is the subject without one', () => {
    const mail = compose('To: Bob@X.org, carol@x.org\nCc: dave@x.org\nSubject: Lunch?\n\nAt noon?');
    expect(mail).toMatchObject({
      to: ['bob@x.org', 'carol@x.org'],
      cc: ['dave@x.org'],
      subject: 'Lunch?',
      text: 'At noon?',
    });
    expect(compose('To: bob@x.org\nShall we?\nmore').subject).toBe('Shall we?');
  });

  it('refuses a new mail without recipients, with the way to give them', () => {
    expect(() => compose('hello')).toThrowError(/needs recipients.*To: /);
  });

  it('folds CR/LF out of a subject and a display name, and refuses what is not an address', () => {
    const mail = compose(
      'To: bob@x.org\nSubject: Hi\rBcc: eve@x.org\r\nX-Evil: 1\nbody',
      undefined,
      {
        sender: { userId: '@a:x' as never, displayName: 'Eve\r\nBcc: eve@x.org' },
      },
    );
    expect(mail.subject).toBe('Hi Bcc: eve@x.org');
    expect(mail.from.name).toBe('Eve Bcc: eve@x.org (via Team)');
    expect(mail.text).toBe('X-Evil: 1\nbody');
    for (const bad of [
      'To: bob@x.org>\nhi',
      'To: bob@x.org\rBcc: eve@x.org\nhi',
      'To: "a b"@x.org',
    ])
      expect(() => compose(bad), bad).toThrowError(BridgeError);
  });

  it('bounds the body', () => {
    expect(() => compose(`To: bob@x.org\n${'x'.repeat(2000)}`)).toThrowError(/at most 1000/);
  });
});

describe('splitHeaderLines', () => {
  it('stops at the first line that is not a header line', () => {
    expect(splitHeaderLines('To: a@b.c\nhello\nSubject: not one')).toEqual({
      to: ['a@b.c'],
      cc: [],
      subject: undefined,
      body: 'hello\nSubject: not one',
    });
  });
});
