/**
 * The send to Matrix each room has under way. A Matrix user can answer an event the bridge sent
 * before the bridge has read the homeserver's reply to that send (the homeserver shows the event to
 * clients first, and a busy bridge reads the reply later), so the event's mapping is not known yet:
 * a reply, an edit or a thread on it waits for that send instead of losing its target.
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
