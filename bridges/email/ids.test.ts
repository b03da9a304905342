import { describe, expect, it } from 'vitest';
import {
  mailMessageId,
  makePortalKey,
  makeRemoteUser,
  messageIdList,
  normalizeMessageId,
  parsePortalKey,
} from './ids.js';

describe('email ids', () => {
  it('portal keys: mailbox id and folder, folders with slashes kept whole', () => {
    expect(makePortalKey('support', 'INBOX')).toBe('support/INBOX');
    expect(parsePortalKey('support/Lists/dev')).toEqual({
      mailbox: 'support',
      folder: 'Lists/dev',
    });
    expect(parsePortalKey('Bad_Id/INBOX')).toBeUndefined();
    expect(parsePortalKey('support/')).toBeUndefined();
  });

  it('a correspondent is the lowercased address', () => {
    expect(makeRemoteUser(' Alice.O+tag@Example.ORG ')).toBe('alice.o+tag@example.org');
  });

  it('Message-IDs in one form; a mail without one gets a uid id', () => {
    expect(normalizeMessageId(' <abc@x.org> ')).toBe('<abc@x.org>');
    expect(normalizeMessageId('abc@x.org')).toBe('<abc@x.org>');
    expect(normalizeMessageId('<a\r\nb@x>')).toBe('<ab@x>');
    expect(normalizeMessageId('<>')).toBeUndefined();
    expect(mailMessageId(undefined, makePortalKey('s', 'INBOX'), 7n, 42)).toBe('uid:s/INBOX/7/42');
  });

  it('reads the ids of References / In-Reply-To, oldest first, each once', () => {
    expect(messageIdList('<a@x> <b@x>\r\n <a@x>')).toEqual(['<a@x>', '<b@x>']);
    expect(messageIdList(['<a@x>', '<c@x>'])).toEqual(['<a@x>', '<c@x>']);
    expect(messageIdList(undefined)).toEqual([]);
  });
});
