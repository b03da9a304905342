/**
 * The send each room has under way, one instance each way. A Matrix user can answer an event the
 * bridge sent before the bridge has read the homeserver's reply to that send (the homeserver shows
 * the event to clients first, and a busy bridge reads the reply later), so the event's mapping is
 * not known yet: a reply, an edit, a reaction, a thread, a pin or a read receipt on it waits for
 * that send instead of losing its target. The other way the same: a network user's client can mark
 * a message read (or answer it) before the connector has told core the message's id.
 */
interface Send {
  ended: Promise<void>;
  /** The send waits for the other way's send in its room (findAfterSend). */
  waiting: boolean;
}

export class SendsInFlight {
  private readonly byRoom = new Map<string, Send>();

  /** A send to `roomId` begins (one at a time per room); call the result once it is recorded. */
  begin(roomId: string): () => void {
    let end!: () => void;
    const send: Send = { ended: new Promise<void>((resolve) => (end = resolve)), waiting: false };
    this.byRoom.set(roomId, send);
    return () => {
      if (this.byRoom.get(roomId) === send) this.byRoom.delete(roomId);
      end();
    };
  }

  /** Settles once the send to `roomId` under way now has ended; undefined when none is. */
  settled(roomId: string): Promise<void> | undefined {
    return this.byRoom.get(roomId)?.ended;
  }

  /** Whether the send to `roomId` under way now waits for the other way's send. */
  waiting(roomId: string): boolean {
    return this.byRoom.get(roomId)?.waiting ?? false;
  }

  setWaiting(roomId: string, waiting: boolean): void {
    const send = this.byRoom.get(roomId);
    if (send) send.waiting = waiting;
  }
}

/**
 * `find()`; when it finds nothing while a send to `roomId` is under way, `find()` again once that
 * send has ended: what is looked for (an event's mapping) may be what that send records. `self`:
 * the caller's own way, when the caller is a send in that room itself. The two ways never wait for
 * each other (each naming what the other is sending, or two messages older than the bridge): a send
 * that already waits for this way's is not waited for.
 */
export async function findAfterSend<T>(
  other: Pick<SendsInFlight, 'settled' | 'waiting'> | undefined,
  roomId: string,
  find: () => Promise<T | undefined>,
  self?: Pick<SendsInFlight, 'setWaiting'>,
): Promise<T | undefined> {
  const found = await find();
  if (found !== undefined || !other || other.waiting(roomId)) return found;
  const sending = other.settled(roomId);
  if (!sending) return found;
  self?.setWaiting(roomId, true);
  try {
    await sending;
  } finally {
    self?.setWaiting(roomId, false);
  }
  return find();
}
