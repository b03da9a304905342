import type { StreamMode } from './appservice-stream.js';

/** Options of the fake homeserver and what it records. */
export interface FakeHomeserverOptions {
  serverName?: string;
  asToken?: string;
  hsToken?: string;
  appserviceId?: string;
  senderLocalpart?: string;
  /** The registration's exclusive user namespace, matched against full user ids. Default `@test_.*`. */
  userNamespace?: RegExp;
  /** Where transactions and pings go; may also be set later. */
  appserviceUrl?: string;
  /** Serve `/_matrix/client/v1/media/download` (current Synapse) or answer it 404 M_UNRECOGNIZED (1.94). */
  authenticatedMedia?: boolean;
  /**
   * Send the events of rooms the appservice is in to it by themselves, as Synapse does (see
   * AppserviceStream): `all` (Synapse: its own events too) or `others` (all but its own). Absent:
   * nothing is sent unless the test pushes it.
   */
  stream?: StreamMode;
  /** Keep a log of requests in `requests` (turn off for the benchmark). */
  recordRequests?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** The raw query string, `?…` or empty. */
  query: string;
  /** The asserted `user_id`, if any. */
  userId?: string;
}
