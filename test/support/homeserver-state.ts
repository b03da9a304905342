// What the test Synapse thinks of the bridge: up, or down and catching up after an outage.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { requireSynapse, testRegistration, waitFor } from './synapse.js';

/** Synapse's appservice state for our registration; a missing row means up. */
function appserviceState(): string | null | undefined {
  const path = join(requireSynapse().peersDir, 'synapse', 'homeserver.db');
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const row = db
      .prepare('select state from application_services_state where as_id = ?')
      .get(testRegistration().id) as { state: string | null } | undefined;
    return row?.state;
  } finally {
    db.close();
  }
}

/**
 * Waits until Synapse sends the bridge new events at once again (appservice state not `down`).
 *
 * Why the kit waits: after the bridge was down, Synapse's recoverer sends the queued transactions,
 * then marks the appservice up. An event created in between (`_TransactionController.send` reads
 * DOWN and queues a new transaction just after `_Recoverer.retry` found none left, before the
 * callback marks the service UP) is left in `application_services_txns` unsent until the next
 * outage: Synapse 1.163.2, synapse/appservice/scheduler.py. The kit tests the bridge, so it sends
 * nothing while Synapse catches up.
 */
export async function homeserverCaughtUp(timeoutMs: number): Promise<void> {
  await waitFor(
    () => appserviceState() !== 'down',
    timeoutMs,
    'Synapse to finish sending the bridge what it queued while the bridge was down (appservice state up)',
    50,
  );
}
