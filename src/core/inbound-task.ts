/**
 * The Matrix event each room is handling right now. A remote event emitted into a room while one
 * of its Matrix events is being handled (a network's echo of the message) is sent to Matrix only
 * after that handling finished, so its reply or edit can find the message-map row core records at
 * the end. Kept per room rather than as async context: AsyncLocalStorage turns on promise hooks
 * for every promise in the process on Node 20, which cost about a tenth of the bridge's CPU.
 * A room handles one Matrix event at a time (its inbound queue), and a reply or edit can only
 * point into its own room, so the room is what matters.
 */
export class InboundTasks {
  private readonly current = new Map<string, Promise<void>>();

  /** Runs `work` as the room's task; `inProgress(roomId)` meanwhile settles when it ends. */
  async run(roomId: string, work: () => Promise<void>): Promise<void> {
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    this.current.set(roomId, done);
    try {
      await work();
    } finally {
      if (this.current.get(roomId) === done) this.current.delete(roomId);
      finished();
    }
  }

  /** Settles when the room's Matrix event in handling (if any) has been handled. */
  inProgress(roomId: string): Promise<void> | undefined {
    return this.current.get(roomId);
  }
}
