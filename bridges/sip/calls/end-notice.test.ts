import { describe, expect, it } from 'vitest';
import { endNotice } from './end-notice.js';

const fig = (received: number, lost: number, jitterMs: number) => ({
  received,
  expected: received + lost,
  lost,
  lossRatio: lost / (received + lost),
  jitterMs,
});

describe('the end notice of a relayed call', () => {
  it('tells the length and each way’s packets, loss and jitter', () => {
    expect(endNotice({ toSip: fig(3100, 0, 0.42), toMatrix: fig(3094, 6, 1.06) }, 62_400)).toBe(
      'Call ended after 1 min 02 s. Audio to the phone: 3100 packets, 0.0 % lost, jitter 0.4 ms; ' +
        'from the phone: 3094 packets, 0.2 % lost, jitter 1.1 ms.',
    );
    expect(endNotice({ toSip: fig(50, 0, 0), toMatrix: fig(50, 0, 0) }, 1_200)).toMatch(
      /^Call ended after 1 s\./,
    );
  });
});
