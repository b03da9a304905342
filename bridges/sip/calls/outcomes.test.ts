import { describe, expect, it } from 'vitest';
import { outcomeOfStatus } from './outcomes.js';

describe('SIP outcomes in Matrix', () => {
  it('maps busy, timeouts, decline, cancel and the rest', () => {
    expect(outcomeOfStatus(486)).toEqual({ action: 'hangup', reason: 'user_busy' });
    expect(outcomeOfStatus(600)).toEqual({ action: 'hangup', reason: 'user_busy' });
    expect(outcomeOfStatus(408)).toEqual({ action: 'hangup', reason: 'invite_timeout' });
    expect(outcomeOfStatus(480)).toEqual({ action: 'hangup', reason: 'invite_timeout' });
    expect(outcomeOfStatus(603)).toEqual({ action: 'reject' });
    expect(outcomeOfStatus(487)).toEqual({ action: 'hangup', reason: 'user_hangup' });
    expect(outcomeOfStatus(404)).toEqual({ action: 'hangup', reason: 'unknown_error' });
  });
});
