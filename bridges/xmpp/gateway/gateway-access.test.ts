import { describe, expect, it } from 'vitest';
import { portalKey } from '../../../src/connector.js';
import { refusal } from './gateway-access.js';
import { newGwRoom } from './gateway-room.js';

const room = (joinRule: string) =>
  newGwRoom('!abc:example.org', portalKey('gw/!abc:example.org'), {
    roomId: '!abc:example.org' as never,
    joinRule,
    members: [],
  });

describe('gateway access', () => {
  it('lets anyone into a public room', () => {
    expect(refusal(room('public'), 'bob@example.net')).toBeUndefined();
  });

  it('refuses others in an invite-only room with registration-required, unless their ghost is invited', () => {
    const r = room('invite');
    expect(refusal(r, 'bob@example.net')).toMatchObject({
      type: 'auth',
      condition: 'registration-required',
    });
    r.admitted.add('bob@example.net');
    expect(refusal(r, 'bob@example.net')).toBeUndefined();
    expect(refusal(room('knock'), 'bob@example.net')?.condition).toBe('registration-required');
  });
});
