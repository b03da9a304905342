import { describe, expect, it } from 'vitest';
import { accountProblem } from './lines.js';

describe('a user’s own SIP account', () => {
  it('takes only user names that are safe in a SIP URI and header', () => {
    expect(accountProblem({ username: 'alice', password: 'pw' })).toBeUndefined();
    expect(
      accountProblem({ username: 'a.b_c+d-1', password: 'pw', auth_username: 'a@b' }),
    ).toBeUndefined();
    for (const username of ['al ice', 'a%40b', 'a\r\nVia: x', 'a<b>', '', 'x'.repeat(65)])
      expect(accountProblem({ username, password: 'pw' }), JSON.stringify(username)).toMatch(
        /user name/,
      );
    expect(accountProblem({ username: 'a', password: 'pw', auth_username: 'a\nb' })).toMatch(
      /auth user/,
    );
    expect(accountProblem({ username: 'a', password: '' })).toMatch(/password/);
  });
});
