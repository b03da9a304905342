/**
 * What became of an emitted event the bridge named (`EmitOptions.ref`): core hands it to the
 * connector's `emitSettled` once the homeserver took the event, or once core gave it up.
 */
import type { MatrixEventId } from './ids.js';

export type EmitOutcome =
  | {
      delivered: true;
      /** The Matrix event it became (messages and reactions; absent where none is made, or known). */
      eventId?: MatrixEventId;
    }
  | {
      delivered: false;
      /** The homeserver's refusal (`M_FORBIDDEN`, `M_TOO_LARGE`, …). */
      errcode: string;
      /** Short, for the network user who sent it: "the Matrix room does not let you send that (M_FORBIDDEN)". */
      reason: string;
    };
