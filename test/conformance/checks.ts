// What the conformance kit's tests check with: a message's text, sending one and finding it on the
// network, and waiting for a burst there (saying what arrived when it does not).
import { expect } from 'vitest';
import type { RoomEvent } from '../support/bridge-harness.js';
import { matchTexts, type PortalView } from './portal-view.js';
import type { NetworkMessage } from './types.js';

export const NOT_SUPPORTED = /not support/i;

/** An event's text (`body`), or the empty string. */
export const textOf = (e: RoomEvent) => (typeof e.content.body === 'string' ? e.content.body : '');

/** Waits until every text is on the network; on timeout says what did arrive and what Matrix was told. */
export async function checkAllOnNetwork(
  p: PortalView,
  texts: string[],
  eventIds: string[],
): Promise<void> {
  try {
    await p.until(
      async () => matchTexts(await p.received(), texts).length >= texts.length,
      `all ${texts.length} messages on the network`,
    );
  } catch (err) {
    const arrived = matchTexts(await p.received(), texts);
    const notices = (await p.failureNotices(eventIds)).map(textOf);
    throw new Error(
      `${(err as Error).message}\nmissing: ${JSON.stringify(texts.flatMap((t, i) => (arrived.includes(t) ? [] : [`${t} (${eventIds[i] ?? '?'})`])))}\n` +
        `arrived (network order): ${JSON.stringify(arrived)}\nfailure notices: ${JSON.stringify(notices)}`,
    );
  }
}

/** Sends a message, waits for it on the network and returns both ends of it. */
export async function sentAndOnNetwork(
  p: PortalView,
  text: string,
  needsId: boolean,
): Promise<{ eventId: string; remote: NetworkMessage }> {
  const eventId = await p.text(text);
  const remote = await p.messageOnNetwork(text);
  if (needsId)
    expect(remote.id, 'the network probe reports the id the network gave the message').toBeTruthy();
  return { eventId, remote };
}
