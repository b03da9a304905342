/**
 * A Matrix user's call to a SIP party (`m.call.invite` in a DM with a ghost): the dial plan and
 * the limits checked, an INVITE out; 200 → m.call.answer; 486/600 → hangup `user_busy`; 408/480 →
 * `invite_timeout`; 603 → m.call.reject; any other failure → hangup. An unanswered call is
 * cancelled on both sides after `ring_timeout_seconds` (or the invite's lifetime).
 */
import { Inviter, UserAgent } from 'sip.js';
import { BridgeError, type MatrixCall } from '../../../src/connector.js';
import { parseDmPortal, parseParty, partyUri } from '../ids.js';
import type { RelayHandle } from '../media/relay-pool.js';
import { outcomeOfStatus } from './outcomes.js';
import { numberDomain } from '../texts/texts.js';
import type { Call, CallKit } from './call.js';

export async function dial(kit: CallKit, ev: MatrixCall): Promise<void> {
  const dm = parseDmPortal(ev.portal);
  if (!dm) throw new BridgeError('unknown-target', 'calls work in a DM with a SIP ghost');
  if (ev.sender.userId !== dm.user)
    throw new BridgeError('rejected', `only ${dm.user} may call from this room`);
  if (kit.has(ev.callId)) return; // a replayed invite
  const line = kit.lineOf(dm.user);
  const refusal = kit.plan.refusal(dm.user, dm.party, line.own);
  const fail = async (reason: string, userMessage: string) => {
    await kit.portals.emit({
      kind: 'call',
      portal: ev.portal,
      sender: dm.party,
      action: 'hangup',
      callId: ev.callId,
      reason,
    });
    throw new BridgeError('rejected', userMessage);
  };
  if (refusal) return fail('unknown_error', refusal);
  if (!ev.sdp) return fail('unknown_error', 'the call invite has no SDP offer');
  if (kit.active >= kit.config.max_calls.total)
    return fail('user_busy', 'too many calls through the bridge right now');
  if (kit.activeOf(dm.user) >= kit.config.max_calls.per_user)
    return fail('user_busy', 'you have too many calls at once');
  if (line.connection.registration !== 'registered')
    throw new BridgeError(
      'not-connected',
      `${line.own ? 'your SIP account' : 'the SIP trunk'} is not registered right now`,
      true,
    );
  const target = UserAgent.makeURI(partyUri(parseParty(dm.party)!, numberDomain(kit.config)));
  if (!target) return fail('unknown_error', `cannot address ${dm.party}`);
  let media: RelayHandle | undefined;
  let sipOffer = ev.sdp;
  if (kit.config.media.mode === 'relay') {
    media = kit.newRelay();
    try {
      sipOffer = await media.matrixOffered(ev.sdp);
    } catch (err) {
      await media.close();
      return fail('user_media_failed', `cannot take the call's offer: ${(err as Error).message}`);
    }
  }
  // The trunk's caller id is the user's DID; their own line's is their account.
  const did = line.own ? undefined : kit.plan.didOf(dm.user);
  const inviter = new Inviter(line.connection.ua, target, {
    ...(did ? { params: { fromDisplayName: did } } : {}),
  });
  const call: Call = {
    callId: ev.callId,
    portal: ev.portal,
    user: dm.user,
    party: dm.party,
    direction: 'outgoing',
    session: inviter,
    localSdp: sipOffer,
    ...(ev.partyId ? { matrixParty: ev.partyId } : {}),
    ...(media ? { media } : {}),
    ended: false,
    answered: false,
  };
  kit.track(call);
  call.ringTimer = setTimeout(() => {
    kit.log.info(
      { portal: call.portal, callId: call.callId },
      'outgoing call not answered: cancelled',
    );
    void inviter.cancel().catch(() => undefined);
    void kit.tell(call, { action: 'hangup', reason: 'invite_timeout' });
  }, kit.ringMs(ev.lifetime));
  await inviter.invite({
    requestDelegate: {
      onAccept: (response) => {
        clearTimeout(call.ringTimer);
        call.answered = true;
        call.answeredAt = Date.now();
        kit.counters.calls('outgoing', 'answered');
        void answerToMatrix(kit, call, response.message.body);
      },
      onReject: (response) => {
        const status = response.message.statusCode ?? 500;
        kit.log.info({ portal: call.portal, callId: call.callId, status }, 'outgoing call refused');
        kit.counters.calls('outgoing', String(status));
        void kit.tell(call, outcomeOfStatus(status));
      },
    },
  });
}

/** The SIP side answered: Matrix gets the answer (the relay's WebRTC answer, or the SIP SDP). */
async function answerToMatrix(kit: CallKit, call: Call, sipSdp: string): Promise<void> {
  let sdp = sipSdp;
  if (call.media) {
    try {
      sdp = await call.media.sipAnswered(sipSdp);
    } catch (err) {
      kit.log.warn({ portal: call.portal, err: (err as Error).message }, 'SIP answer unusable');
      await call.session.bye().catch(() => undefined);
      return kit.tell(call, { action: 'hangup', reason: 'user_media_failed' });
    }
  }
  await kit.emitSignal(call, { action: 'answer', sdp });
}
