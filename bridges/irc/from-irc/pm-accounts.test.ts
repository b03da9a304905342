import { describe, expect, it } from 'vitest';
import { PmAccounts } from './pm-accounts.js';

describe('PmAccounts', () => {
  it('warns once when the account behind a conversation changes, not when one appears', () => {
    const accounts = new PmAccounts();
    expect(accounts.heard('k', 'bob', undefined)).toBeUndefined();
    expect(accounts.heard('k', 'bob', 'bob')).toBeUndefined(); // logged in later: fine
    expect(accounts.heard('k', 'bob', 'bob')).toBeUndefined();
    expect(accounts.heard('k', 'bob', undefined)).toBe(
      '⚠️ bob is not logged in, but earlier messages here came from the account bob: this may be someone else.',
    );
    expect(accounts.heard('k', 'bob', undefined)).toBeUndefined(); // the same stranger: once
    expect(accounts.heard('k', 'bob', 'bob')).toBeUndefined();
    expect(accounts.heard('k', 'bob', 'mallory')).toBe(
      '⚠️ bob is logged in as mallory, but earlier messages here came from the account bob: this may be someone else.',
    );
    expect(accounts.heard('other', 'bob', undefined)).toBeUndefined(); // conversations apart
  });
});
