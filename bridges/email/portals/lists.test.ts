import { describe, expect, it } from 'vitest';
import { listIdOf, makeListPortalKey, parseListPortalKey } from './lists.js';
import { linkablePortal } from './portals.js';
import { emailConfigSchema } from '../config.js';

const mail = (line?: string) => ({
  headerLines: line ? [{ key: line.slice(0, line.indexOf(':')).toLowerCase(), line }] : [],
});

describe('mailing list rooms', () => {
  it("reads a mail's List-Id (RFC 2919): the id in <>, or the bare id, lowercased", () => {
    expect(listIdOf(mail('List-Id: Dev list <Dev.Lists.Example.org>'))).toBe(
      'dev.lists.example.org',
    );
    expect(listIdOf(mail('List-Id: dev.lists.example.org'))).toBe('dev.lists.example.org');
    expect(listIdOf(mail('List-Id: <not an id>'))).toBeUndefined();
    expect(listIdOf(mail('List-Id: nodots'))).toBeUndefined();
    expect(listIdOf(mail())).toBeUndefined();
  });

  it('names a list room list:<mailbox>:<list id> and reads it back', () => {
    expect(makeListPortalKey('team', 'Dev.Example.org')).toBe('list:team:dev.example.org');
    expect(parseListPortalKey('list:team:dev.example.org')).toEqual({
      mailbox: 'team',
      listId: 'dev.example.org',
    });
    expect(parseListPortalKey('list:Team:dev.example.org')).toBeUndefined();
    expect(parseListPortalKey('list:team:')).toBeUndefined();
    expect(parseListPortalKey('team/INBOX')).toBeUndefined();
  });

  it('links lists of configured mailboxes and direct addresses; says why not otherwise', () => {
    const config = emailConfigSchema.parse({
      mailboxes: {
        team: {
          address: 'team@example.org',
          imap: { host: 'h', user: 'u', password: 'p' },
          folders: [{ folder: 'INBOX' }],
        },
      },
    });
    const list = linkablePortal(config, 'list:team:dev.example.org');
    expect(typeof list !== 'string' && list.mailboxId).toBe('team');
    expect(linkablePortal(config, 'list:other:dev.example.org')).toMatch(
      /no mailbox "other".*team/,
    );
    expect(linkablePortal(config, 'direct:sales')).toMatch(/direct mode is off/);
    expect(linkablePortal(config, 'team/Other')).toMatch(/links a room to a mailing list/);
    const direct = linkablePortal(
      {
        ...config,
        direct: emailConfigSchema.parse({ direct: { domain: 'm.example.org', rooms: {} } }).direct!,
      },
      'direct:sales',
    );
    expect(typeof direct !== 'string' && direct.mailbox.address).toBe('sales@m.example.org');
  });
});
