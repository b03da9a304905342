import { describe, expect, it } from 'vitest';
import { summary } from './media-peers.js';
import {
  fromPeer,
  idBase,
  mergeStreams,
  parseMessage,
  processOf,
  toPeer,
  type SentStream,
} from './peer-protocol.js';

describe('peer processes', () => {
  it('deal 100 calls to 4 processes 25 each, and ids that do not meet', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 100; i++) counts[processOf(i, 4)]!++;
    expect(counts).toEqual([25, 25, 25, 25]);
    expect(idBase(0) + 100_000).toBeLessThan(idBase(1));
  });

  it('read the messages they send, and name what is wrong with one', () => {
    expect(parseMessage(toPeer, { type: 'measure', req: 3, on: true }, 'x')).toEqual({
      type: 'measure',
      req: 3,
      on: true,
    });
    expect(() => parseMessage(toPeer, { type: 'measure', req: 3 }, 'peer process 2')).toThrow(
      /peer process 2: unreadable message.*on/s,
    );
    expect(() => parseMessage(fromPeer, { type: 'sdp', req: 1 }, 'x')).toThrow(/sdp/);
  });

  it('put a stream together from its sender and a receiver elsewhere, as one process counts it', () => {
    // Sent 10 … 13 in the window; 12 never came, 11 came twice, 9 and 14 are outside.
    const sent: SentStream = {
      id: 1_000_001,
      way: 'b',
      from: 10,
      to: 14,
      sentMeasured: 4,
      names: [100, 101, null, 103],
    };
    const other = { ...sent, id: 2_000_001, way: 'a' as const, sentMeasured: 0, names: [] };
    const arrivals = {
      id: [1_000_001, 1_000_001, 1_000_001, 1_000_001, 1_000_001, 1_000_001, 42],
      index: [9, 10, 11, 11, 13, 14, 10],
      delay: [5, 1, 3, 9, 2, 5, 1],
      name: [90, 200, 201, 201, 203, 204, 1],
    };
    const { a, b } = mergeStreams([sent, other], [arrivals]);
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
    const s = b[0]!;
    expect(s.names.sent).toEqual([100, 101, undefined, 103]);
    expect(s.names.received).toEqual([200, 201, undefined, 203]);
    expect(s.duplicates).toBe(1);
    expect(summary(b)).toMatchObject({
      sent: 4,
      received: 3,
      lossPercent: 25,
      duplicates: 1,
      jitterMs: { p50: 1, max: 2 },
    });
  });
});
