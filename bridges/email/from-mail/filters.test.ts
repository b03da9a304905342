import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { isSpam, senderAllowed, verdict } from './filters.js';

const mail = (headers: string) => simpleParser(`From: a@x.org\r\n${headers}\r\n\r\nhi\r\n`);

describe('incoming mail filters', () => {
  it('deny wins; an allow list lets only its senders through; @domain names a domain', () => {
    expect(senderAllowed('a@x.org', [], [])).toBe(true);
    expect(senderAllowed('a@x.org', [], ['@x.org'])).toBe(false);
    expect(senderAllowed('a@x.org', ['a@x.org'], ['@x.org'])).toBe(false);
    expect(senderAllowed('b@y.org', ['@x.org'], [])).toBe(false);
    expect(senderAllowed('b@x.org', ['@X.org'], [])).toBe(true);
    expect(senderAllowed('b@notx.org', ['@x.org'], [])).toBe(false);
  });

  it("honours the server's spam verdict", async () => {
    expect(isSpam(await mail('X-Spam-Flag: YES'))).toBe(true);
    expect(isSpam(await mail('X-Spam-Status: Yes, score=9.1'))).toBe(true);
    expect(isSpam(await mail('X-Spam-Status: No, score=0.1'))).toBe(false);
    expect(isSpam(await mail('Subject: hi'))).toBe(false);
    expect(
      verdict(await mail('X-Spam: yes'), 'a@x.org', { allow_senders: [], deny_senders: [] }),
    ).toBe('spam');
  });
});
