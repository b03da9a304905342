/**
 * A phone's call to a DID: it rings the DID's Matrix user (`m.call.invite` from the caller's ghost
 * in their DM, 180 Ringing toward SIP); the first device's `m.call.answer` is the 200 OK (the
 * ghost names it in `m.call.select_answer`); a CANCEL ends the ringing in Matrix; nobody answering
 * is a 480 and `invite_timeout`.
 */
import { randomUUID } from 'node:crypto';
import { Invitation } from 'sip.js';
import { BridgeError, type MatrixCall, type MatrixUserId } from '../../../src/connector.js';
import type { RelayHandle } from '../media/relay-pool.js';
import { hostPort } from '../texts/texts.js';
import type { Call, CallKit } from './call.js';

/**
 * An INVITE for a DID (or, `owner` set, for a user's own account): rings its Matrix user in their
 * DM with the caller's ghost.
 */
export async function incoming(
  kit: CallKit,
  invitation: Invitation,
  owner?: MatrixUserId,
): Promise<void> {
  const request = invitation.request;
  const did = request.to.uri.user ?? '';
  const user = owner ?? kit.plan.userOfDid(did);
  const party = kit.portals.partyOf(request.from.uri.user, hostPort(request.from.uri));
  const offer = request.body;
  const refuse = (statusCode: number, reasonPhrase: string) =>
    invitation.reject({ statusCode, reasonPhrase }).catch(() => undefined);
  if (!user) return void (await refuse(404, 'No such number'));
  if (!party) return void (await refuse(400, 'Unusable From'));
  if (!offer || !/^v=0\r?\n/.test(offer)) return void (await refuse(488, 'An SDP offer is needed'));
  if (
    kit.active >= kit.config.max_calls.total ||
    kit.activeOf(user) >= kit.config.max_calls.per_user
  )
    return void (await refuse(486, 'Busy Here'));
  // The media first: an offer the relay cannot take is refused before any room or ghost is made.
  let matrixOffer = offer;
  let media: RelayHandle | undefined;
  if (kit.config.media.mode === 'relay') {
    media = kit.newRelay();
    try {
      matrixOffer = await media.sipOffered(offer);
    } catch (err) {
      kit.log.info({ did, err: (err as Error).message }, 'incoming call SDP unusable: 488');
      await media.close();
      return void (await refuse(488, 'Not Acceptable Here'));
    }
  }
  const portal = await kit.portals.dm(user, party, request.from.displayName);
  const call: Call = {
    ...(media ? { media } : {}),
    callId: randomUUID(),
    portal,
    user,
    party,
    direction: 'incoming',
    session: invitation,
    ended: false,
    answered: false,
  };
  kit.track(call);
  const ringMs = kit.ringMs();
  call.ringTimer = setTimeout(() => {
    kit.log.info({ portal, callId: call.callId }, 'incoming call not answered: 480');
    kit.counters.calls('incoming', 'timeout');
    void invitation.reject({ statusCode: 480, reasonPhrase: 'No answer' }).catch(() => undefined);
    void kit.tell(call, { action: 'hangup', reason: 'invite_timeout' });
  }, ringMs);
  invitation.delegate = {
    ...invitation.delegate,
    onCancel: () => {
      kit.counters.calls('incoming', 'cancelled');
      void kit.tell(call, { action: 'hangup', reason: 'user_hangup' });
    },
  };
  await kit.emitSignal(call, {
    action: 'invite',
    sdp: matrixOffer,
    lifetime: ringMs,
    invitee: user,
  });
  await invitation.progress().catch(() => undefined); // 180 Ringing
}

/** The Matrix user answered an incoming call: 200 OK with the answer's SDP (or the relay's). */
export async function answer(kit: CallKit, call: Call, ev: MatrixCall): Promise<void> {
  // A second device answering late: the first answer stands (told by select_answer).
  if (call.direction !== 'incoming' || call.answered || !(call.session instanceof Invitation))
    return;
  if (!ev.sdp) throw new BridgeError('rejected', 'the call answer has no SDP');
  clearTimeout(call.ringTimer);
  call.localSdp = call.media ? await call.media.matrixAnswered(ev.sdp) : ev.sdp;
  call.answered = true;
  call.answeredAt = Date.now();
  if (ev.partyId) call.matrixParty = ev.partyId;
  await call.session.accept();
  kit.counters.calls('incoming', 'answered');
  // VoIP v1: the caller names the answer it took, so the user's other devices stop ringing.
  if (ev.partyId)
    await kit.emitSignal(call, { action: 'select_answer', selectedPartyId: ev.partyId });
}
