/**
 * The Matrix event a connector is handling right now, as async context. A remote
 * event emitted while handling it (a network's echo of the message) is sent to
 * Matrix only after that handling finished, so its reply or edit can find the
 * message-map row core records at the end.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export const inboundTask = new AsyncLocalStorage<Promise<void>>();

/** Runs `work` as an inbound task; `inboundTask.getStore()` inside resolves when it ends. */
export async function runInboundTask(work: () => Promise<void>): Promise<void> {
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  try {
    await inboundTask.run(done, work);
  } finally {
    finished();
  }
}
