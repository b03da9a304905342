import { describe, expect, it } from 'vitest';
import { foldQuotes } from './quotes.js';

describe('foldQuotes', () => {
  it('folds a trailing quote with its attribution, and a signature', () => {
    const mail =
      'Sounds good.\n\nBob\n-- \nBob Example, ACME\n\nOn Mon, 1 Dec 2026 at 10:00, Alice <a@x> wrote:\n> the plan\n>\n> more';
    expect(foldQuotes(mail)).toEqual({ text: 'Sounds good.\n\nBob', folded: 7 });
  });

  it('folds a two-line attribution, and Outlook history', () => {
    expect(
      foldQuotes('Yes.\n\nOn Mon, 1 Dec 2026 at 10:00, Alice Example\n<a@x> wrote:\n> q').text,
    ).toBe('Yes.');
    expect(foldQuotes('Ok\n\n-----Original Message-----\nFrom: a\nSubject: b\n\nold').text).toBe(
      'Ok',
    );
    expect(foldQuotes('Ja\n\nAm 1. Dez. 2026 um 10:00 schrieb Alice <a@x>:\n> q').text).toBe('Ja');
  });

  it('keeps inline answers between quotes, and a mail that is only a quote', () => {
    const inline = '> question one\nanswer one\n> question two\nanswer two';
    expect(foldQuotes(inline)).toEqual({ text: inline, folded: 0 });
    expect(foldQuotes('> only a quote')).toEqual({ text: '> only a quote', folded: 0 });
    expect(foldQuotes('plain text')).toEqual({ text: 'plain text', folded: 0 });
  });
});
