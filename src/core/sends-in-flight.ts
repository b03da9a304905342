/**
 * The send each room has under way, one instance each way. A Matrix user can answer an event the
 * bridge sent before the bridge has read the homeserver's reply to that send (the homeserver shows
 * the event to clients first, and a busy bridge reads the reply later), so the event's mapping is
 * not known yet: a reply, an edit, a reaction, a thread, a pin or a read receipt on it waits for
 * that send instead of losing its target. The other way the same: a network user's client can mark
 * a message read (or answer it) before the connector has told core the message's id.
 */
export class SendsInFlight {
  private readonly byRoom = new Map<string, Promise<void>>();

  /** A send to `roomId` begins (one at a time per room); call the result once it is recorded. */
  begin(roomId: string): () => void {
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    this.byRoom.set(roomId, ended);
    return () => {
      if (this.byRoom.get(roomId) === ended) this.byRoom.delete(roomId);
      end();
    };
  }

  /** Settles once the send to `roomId` under way now has ended; undefined when none is. */
  settled(roomId: string): Promise<void> | undefined {
    return this.byRoom.get(roomId);
  }
}

/**
 * `find()`; when it finds nothing while a send to `roomId` is under way, `find()` again once that
 * send has ended: what is looked for (an event's mapping) may be what that send records.
 */
export async function findAfterSend<T>(
  inFlight: Pick<SendsInFlight, 'settled'> | undefined,
  roomId: string,
  find: () => Promise<T | undefined>,
): Promise<T | undefined> {
  const found = await find();
  const sending = found === undefined ? inFlight?.settled(roomId) : undefined;
  return sending ? sending.then(find) : found;
}
