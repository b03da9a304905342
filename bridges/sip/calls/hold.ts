/**
 * Hold and resume (re-negotiation), both ways. A Matrix `m.call.negotiate` offer becomes a
 * re-INVITE carrying its direction (sendonly, recvonly, inactive, sendrecv); the phone's answer
 * becomes the negotiate answer. A re-INVITE from the phone is answered at once with the mirrored
 * direction and offered on to Matrix in an `m.call.negotiate`, whose answer sets the Matrix side's
 * direction. The relay hands media across only the ways both sides' latest SDP allow.
 */
import { SessionState } from 'sip.js';
import type { MatrixCall } from '../../../src/connector.js';
import type { SdpSide } from '../signalling/sdp-handler.js';
import type { Call, CallKit } from './call.js';

/** How long a re-INVITE may take before the call's media is left as it was. */
const REINVITE_MS = 32_000;
/** The lifetime of a negotiate offer sent to Matrix. */
const NEGOTIATE_LIFETIME_MS = 30_000;

/** A Matrix user's m.call.negotiate (an offer to put on hold or resume, or an answer to ours). */
export async function negotiateFromMatrix(kit: CallKit, call: Call, ev: MatrixCall): Promise<void> {
  const log = { portal: call.portal, callId: call.callId };
  if (!ev.sdp || call.session.state !== SessionState.Established) {
    kit.log.debug(log, 'negotiate outside an established call: ignored');
    return;
  }
  if (ev.sdpType === 'answer') {
    if (call.media) await call.media.matrixReanswered(ev.sdp);
    return;
  }
  const sipOffer = call.media ? await call.media.matrixReoffered(ev.sdp) : ev.sdp;
  const sipAnswer = await reinvite(call, sipOffer);
  if (sipAnswer === undefined) kit.log.info(log, 're-INVITE refused: the phone keeps its media');
  else kit.log.info(log, 're-INVITE answered (hold/resume from Matrix)');
  const answer = call.media ? await call.media.sipReanswered(sipAnswer) : sipAnswer;
  if (answer === undefined) return; // passthrough: no SDP to answer Matrix with
  await kit.emitSignal(call, { action: 'negotiate', sdpType: 'answer', sdp: answer });
}

/** Sends a re-INVITE with `sdp`; resolves with the phone's answer, undefined if it refused. */
function reinvite(call: Call, sdp: string): Promise<string | undefined> {
  call.reoffer = sdp;
  return new Promise<string | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), REINVITE_MS);
    const done = (answer: string | undefined) => {
      clearTimeout(timer);
      resolve(answer);
    };
    call.session
      .invite({
        requestDelegate: {
          onAccept: (response) => done(response.message.body || undefined),
          onReject: () => done(undefined),
        },
      })
      .catch(() => done(undefined));
  }).finally(() => {
    call.reoffer = undefined;
  });
}

/**
 * The SDP side sip.js asks for a call's SDP: our offer or answer, and a re-INVITE's offer from the
 * phone (handed over first, then our answer asked for).
 */
export function sdpSideOf(kit: CallKit, call: Call): SdpSide {
  return {
    local: async () => {
      if (call.reoffer !== undefined) return call.reoffer;
      const offer = call.remoteReoffer;
      if (offer !== undefined) {
        call.remoteReoffer = undefined;
        return reofferFromSip(kit, call, offer);
      }
      if (call.localSdp === undefined) throw new Error('no SDP from Matrix yet');
      return call.localSdp;
    },
    onRemote: (sdp) => {
      // The first offer or answer is read from the INVITE or its 200; later ones are re-INVITEs'.
      if (call.session.state === SessionState.Established && call.reoffer === undefined)
        call.remoteReoffer = sdp;
    },
  };
}

/** The phone re-offers (hold or resume): our answer for its 200, the offer on to Matrix. */
async function reofferFromSip(kit: CallKit, call: Call, offer: string): Promise<string> {
  const media = call.media;
  // Passthrough: the phone gets the SDP it has (Matrix's re-negotiation cannot be waited for).
  if (!media) return call.localSdp ?? Promise.reject(new Error('no SDP for this call'));
  const answer = await media.sipReoffered(offer); // a throw is a 488 from sip.js
  call.localSdp = answer;
  kit.log.info(
    { portal: call.portal, callId: call.callId },
    're-INVITE from the phone (hold/resume)',
  );
  void media
    .matrixReoffer()
    .then((sdp) =>
      kit.emitSignal(call, {
        action: 'negotiate',
        sdpType: 'offer',
        sdp,
        lifetime: NEGOTIATE_LIFETIME_MS,
      }),
    )
    .catch((err: unknown) =>
      kit.log.warn(
        { portal: call.portal, callId: call.callId, err: (err as Error).message },
        'the hold/resume could not be offered to Matrix',
      ),
    );
  return answer;
}
