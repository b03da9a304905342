import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { inlineToHtml } from '../../../src/format/html.js';
import { isAutomatic, listPostAddress, mailBody, participantsOf } from './from-mail.js';

const parse = (headers: string, body = 'hi', type = 'text/plain') =>
  simpleParser(`${headers}\r\nContent-Type: ${type}; charset=utf-8\r\n\r\n${body}\r\n`);

describe('an incoming mail', () => {
  it('its correspondents: Reply-To (else From), To, Cc, never the mailbox (with a +folder detail too)', async () => {
    const m = await parse(
      'From: Bob <Bob@x.org>\r\nTo: team+inbox@example.org, carol@x.org\r\nCc: TEAM@example.org, dave@x.org',
    );
    expect(participantsOf(m, 'team@example.org')).toEqual([
      'bob@x.org',
      'carol@x.org',
      'dave@x.org',
    ]);
    const withReplyTo = await parse(
      'From: list@x.org\r\nReply-To: bob@x.org\r\nTo: team@example.org',
    );
    expect(participantsOf(withReplyTo, 'team@example.org')).toEqual(['bob@x.org']);
  });

  it("auto-replies and reports are automatic; a person's mail is not", async () => {
    expect(isAutomatic(await parse('From: a@x\r\nAuto-Submitted: auto-replied'))).toBe(true);
    expect(isAutomatic(await parse('From: a@x\r\nPrecedence: bulk'))).toBe(true);
    expect(isAutomatic(await parse('From: a@x\r\nAuto-Submitted: no'))).toBe(false);
    expect(isAutomatic(await parse('From: a@x'))).toBe(false);
  });

  it('HTML bodies are sanitized: no script, no image fetched, formatting kept', async () => {
    const m = await parse(
      'From: a@x\r\nMIME-Version: 1.0',
      '<p>Hello <b>you</b></p><script>alert(1)</script><img src="https://t.example/p.gif"><a href="javascript:x">link</a>',
      'text/html',
    );
    const body = mailBody(m);
    const html = inlineToHtml(body.formatted!);
    expect(html).toContain('<strong>you</strong>');
    expect(html).not.toMatch(/script|alert|img|javascript/);
  });

  it('folds quoted history out of a reply', async () => {
    const m = await parse(
      'From: a@x',
      'Agreed.\r\n\r\nOn Mon, Bob <b@x> wrote:\r\n> the plan\r\n> more',
    );
    expect(mailBody(m)).toEqual({ text: 'Agreed.\n[… quoted text hidden]', shortened: true });
  });

  it("reads a list's posting address", async () => {
    const m = await parse(
      'From: a@x.org\r\nList-Id: Dev <dev.lists.x.org>\r\nList-Post: <mailto:Dev@Lists.x.org?subject=hi>',
    );
    expect(listPostAddress(m)).toBe('dev@lists.x.org');
    expect(listPostAddress(await parse('From: a@x.org\r\nList-Post: NO'))).toBeUndefined();
  });

  it('a mail cannot ping Matrix users: matrix.to user links stay text', async () => {
    const m = await parse(
      'From: a@x\r\nMIME-Version: 1.0',
      'hi <a href="https://matrix.to/#/@admin:example.org">admin</a>',
      'text/html',
    );
    const html = inlineToHtml(mailBody(m).formatted!);
    expect(html).toBe('hi admin');
  });
});
