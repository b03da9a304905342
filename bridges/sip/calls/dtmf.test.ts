import { describe, expect, it } from 'vitest';
import { dtmfCommand, dtmfRelayBody, parseDtmfInfo } from './dtmf.js';

describe('DTMF', () => {
  it('reads the room command, digits only', () => {
    expect(dtmfCommand('!dtmf 12*#a')).toBe('12*#A');
    expect(dtmfCommand('!dtmf 1\r\nX-Evil: 1')).toBeUndefined();
    expect(dtmfCommand('dtmf 1')).toBeUndefined();
    expect(dtmfCommand('!dtmf 12e')).toBeUndefined();
  });

  it('writes and reads INFO bodies', () => {
    expect(dtmfRelayBody('5')).toBe('Signal=5\r\nDuration=160\r\n');
    expect(() => dtmfRelayBody('5\r\n')).toThrow();
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=#\r\nDuration=100')).toBe('#');
    expect(parseDtmfInfo('application/dtmf', '11')).toBe('#');
    expect(parseDtmfInfo('text/plain', 'Signal=1')).toBeUndefined();
  });
});
