import { describe, expect, it } from 'vitest';
import { findAfterSend, SendsInFlight } from './sends-in-flight.js';

const ROOM = '!r:hs';
const nothing = async (): Promise<string | undefined> => undefined;

describe('findAfterSend', () => {
  it('finds what the send under way records, once it has ended', async () => {
    const toMatrix = new SendsInFlight();
    const mapped = new Map<string, string>();
    const sent = toMatrix.begin(ROOM);
    const found = findAfterSend(toMatrix, ROOM, async () => mapped.get('remote-1'));
    await new Promise((r) => setTimeout(r, 10)); // looked up before the send recorded it
    mapped.set('remote-1', '$event');
    sent();
    expect(await found).toBe('$event');
  });

  it('never lets the two ways wait for each other: the second to look finds nothing at once', async () => {
    const toMatrix = new SendsInFlight();
    const toNetwork = new SendsInFlight();
    const endToMatrix = toMatrix.begin(ROOM); // a network's reply to a message older than the bridge
    const endToNetwork = toNetwork.begin(ROOM); // a Matrix reply to another such message
    // The Matrix event's send looks first and waits for the send to Matrix…
    const first = findAfterSend(toMatrix, ROOM, nothing, toNetwork).finally(endToNetwork);
    // …which looks next: waiting for the Matrix event's send would wait for itself.
    const second = await Promise.race([
      findAfterSend(toNetwork, ROOM, nothing, toMatrix),
      new Promise((r) => setTimeout(() => r('still waiting'), 200)),
    ]);
    expect(second).toBeUndefined();
    endToMatrix();
    expect(await first).toBeUndefined();
  });
});
