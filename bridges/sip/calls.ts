/**
 * Call signalling between Matrix VoIP (`m.call.*`) and SIP INVITE dialogs, one call per Matrix
 * call id. The SDP is handed through (`media: passthrough`): the Matrix side's offer or answer
 * goes into the INVITE or the 200 OK, the SIP side's into `m.call.invite` or `m.call.answer`.
 *
 * SIP outcomes told to Matrix at once: 200 → m.call.answer; 486/600 → hangup `user_busy`;
 * 408/480 → hangup `invite_timeout`; 603 → m.call.reject; 487, BYE and any other failure →
 * hangup. An unanswered call stops ringing on both sides after `ring_timeout_seconds`.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Invitation, Inviter, SessionState, UserAgent, type Session } from 'sip.js';
import {
  BridgeError,
  remoteMessageId,
  type CallSignal,
  type MatrixCall,
  type MatrixUserId,
  type PortalKey,
  type RemoteUserId,
} from '../../src/connector.js';
import type { SipConfig } from './config.js';
import type { SipConnection } from './connection.js';
import type { DialPlan } from './dial-plan.js';
import { parseDmPortal, parseParty, partyUri } from './ids.js';
import type { Portals } from './portals.js';
import type { SdpSide } from './sdp-handler.js';
import { MediaRelay, type MediaStats } from './media/relay.js';
import { hostPort, numberDomain } from './texts.js';
import { dtmfInfoHandler, sendDtmfInfo } from './dtmf.js';
import { hangUpLeftOver, type CallStore } from './call-store.js';
import { outcomeOfStatus } from './outcomes.js';

interface Call {
  callId: string;
  portal: PortalKey;
  user: MatrixUserId;
  party: RemoteUserId;
  direction: 'outgoing' | 'incoming';
  session: Session;
  /** The SDP sent toward SIP: the Matrix offer (outgoing) or answer (incoming, once it came). */
  localSdp?: string;
  ringTimer?: NodeJS.Timeout;
  /** The call's media gateway (`media: relay`). */
  media?: MediaRelay;
  /** Set once Matrix has been told the call ended (or Matrix ended it): nothing more is sent. */
  ended: boolean;
  answered: boolean;
  /** The Matrix device (party id) in the call: the caller's, or the first to answer. */
  matrixParty?: string;
}

export class SipCalls {
  private readonly calls = new Map<string, Call>();
  private readonly bySession = new WeakMap<Session, Call>();

  constructor(
    private readonly config: SipConfig,
    private readonly log: Logger,
    private readonly connection: SipConnection,
    private readonly plan: DialPlan,
    private readonly portals: Portals,
    private readonly counters: {
      calls: (direction: string, outcome: string) => void;
      media: (stats: MediaStats) => void;
    },
    private readonly store: CallStore,
  ) {}

  /** Calls a crashed run left in progress: Matrix is told they ended. */
  endLeftOver(): Promise<void> {
    return hangUpLeftOver(this.store, this.portals, this.log);
  }

  /** sip.js asks for a session's SDP handler: the call's SDP, whichever side has it. */
  sdpSide(session: Session): SdpSide | undefined {
    const call = this.bySession.get(session);
    if (!call) return undefined;
    return {
      local: async () => {
        if (call.localSdp === undefined) throw new Error('no SDP from Matrix yet');
        return call.localSdp;
      },
      onRemote: () => undefined, // read from the response or request body where needed
    };
  }

  get active(): number {
    return this.calls.size;
  }

  private activeOf(user: string): number {
    return [...this.calls.values()].filter((c) => c.user === user).length;
  }

  // ------------------------------------------------------------------ Matrix → SIP

  async fromMatrix(ev: MatrixCall): Promise<void> {
    const call = this.calls.get(ev.callId);
    if (ev.action === 'invite') return this.dial(ev);
    if (!call) return; // a call of another device, or one that is over
    if (ev.sender.userId !== call.user) return;
    // Once a device is in the call, other devices' events are not this call's (VoIP v1).
    if (call.matrixParty && ev.partyId && ev.partyId !== call.matrixParty && ev.action !== 'answer')
      return;
    switch (ev.action) {
      case 'answer':
        return this.answer(call, ev);
      case 'hangup':
      case 'reject':
        return this.hangupFromMatrix(call, ev.reason);
      case 'candidates':
        // Relayed media: the bridge's own WebRTC peer takes them. Passthrough: the SDP already
        // went over SIP, where candidates cannot follow.
        if (call.media && ev.candidates) await call.media.addCandidates(ev.candidates);
        return;
      case 'select_answer':
      case 'negotiate':
        this.log.debug(
          { portal: call.portal, callId: call.callId, action: ev.action },
          'call event not relayed',
        );
        return;
    }
  }

  private async dial(ev: MatrixCall): Promise<void> {
    const dm = parseDmPortal(ev.portal);
    if (!dm) throw new BridgeError('unknown-target', 'calls work in a DM with a SIP ghost');
    if (ev.sender.userId !== dm.user)
      throw new BridgeError('rejected', `only ${dm.user} may call from this room`);
    if (this.calls.has(ev.callId)) return; // a replayed invite
    const refusal = this.plan.refusal(dm.user, dm.party);
    const fail = async (reason: string, userMessage: string) => {
      await this.portals.emit({
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
    if (this.calls.size >= this.config.max_calls.total)
      return fail('user_busy', 'too many calls through the bridge right now');
    if (this.activeOf(dm.user) >= this.config.max_calls.per_user)
      return fail('user_busy', 'you have too many calls at once');
    if (this.connection.registration !== 'registered')
      throw new BridgeError('not-connected', 'the SIP trunk is not registered right now', true);
    const target = UserAgent.makeURI(partyUri(parseParty(dm.party)!, numberDomain(this.config)));
    if (!target) return fail('unknown_error', `cannot address ${dm.party}`);
    let media: MediaRelay | undefined;
    let sipOffer = ev.sdp;
    if (this.config.media.mode === 'relay') {
      media = this.newRelay();
      try {
        sipOffer = await media.matrixOffered(ev.sdp);
      } catch (err) {
        await media.close();
        return fail('user_media_failed', `cannot take the call's offer: ${(err as Error).message}`);
      }
    }
    const inviter = new Inviter(this.connection.ua, target, {
      ...(this.plan.didOf(dm.user)
        ? { params: { fromDisplayName: this.plan.didOf(dm.user)! } }
        : {}),
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
    this.track(call);
    call.ringTimer = setTimeout(() => {
      this.log.info(
        { portal: call.portal, callId: call.callId },
        'outgoing call not answered: cancelled',
      );
      void inviter.cancel().catch(() => undefined);
      void this.tell(call, { action: 'hangup', reason: 'invite_timeout' });
    }, this.ringMs(ev.lifetime));
    await inviter.invite({
      requestDelegate: {
        onAccept: (response) => {
          clearTimeout(call.ringTimer);
          call.answered = true;
          this.counters.calls('outgoing', 'answered');
          void this.answerToMatrix(call, response.message.body);
        },
        onReject: (response) => {
          const status = response.message.statusCode ?? 500;
          this.log.info(
            { portal: call.portal, callId: call.callId, status },
            'outgoing call refused',
          );
          this.counters.calls('outgoing', String(status));
          void this.tell(call, outcomeOfStatus(status));
        },
      },
    });
  }

  private async answer(call: Call, ev: MatrixCall): Promise<void> {
    // A second device answering late: the first answer stands (told by select_answer).
    if (call.direction !== 'incoming' || call.answered || !(call.session instanceof Invitation))
      return;
    if (!ev.sdp) throw new BridgeError('rejected', 'the call answer has no SDP');
    clearTimeout(call.ringTimer);
    call.localSdp = call.media ? await call.media.matrixAnswered(ev.sdp) : ev.sdp;
    call.answered = true;
    if (ev.partyId) call.matrixParty = ev.partyId;
    await call.session.accept();
    this.counters.calls('incoming', 'answered');
    // VoIP v1: the caller names the answer it took, so the user's other devices stop ringing.
    if (ev.partyId)
      await this.emitSignal(call, { action: 'select_answer', selectedPartyId: ev.partyId });
  }

  private async hangupFromMatrix(call: Call, reason: string | undefined): Promise<void> {
    call.ended = true; // Matrix ended it: nothing more to tell Matrix
    const s = call.session;
    if (s.state === SessionState.Established) await s.bye().catch(() => undefined);
    else if (s instanceof Inviter) await s.cancel().catch(() => undefined);
    else if (s instanceof Invitation && s.state === SessionState.Initial)
      await s
        .reject(
          reason === 'user_busy'
            ? { statusCode: 486 }
            : { statusCode: 603, reasonPhrase: 'Decline' },
        )
        .catch(() => undefined);
    this.untrack(call);
  }

  // ------------------------------------------------------------------ SIP → Matrix

  /** An INVITE for a DID: rings its Matrix user in their DM with the caller's ghost. */
  async incoming(invitation: Invitation): Promise<void> {
    const request = invitation.request;
    const did = request.to.uri.user ?? '';
    const user = this.plan.userOfDid(did);
    const party = this.portals.partyOf(request.from.uri.user, hostPort(request.from.uri));
    const offer = request.body;
    const refuse = (statusCode: number, reasonPhrase: string) =>
      invitation.reject({ statusCode, reasonPhrase }).catch(() => undefined);
    if (!user) return void (await refuse(404, 'No such number'));
    if (!party) return void (await refuse(400, 'Unusable From'));
    if (!offer || !/^v=0\r?\n/.test(offer))
      return void (await refuse(488, 'An SDP offer is needed'));
    if (
      this.calls.size >= this.config.max_calls.total ||
      this.activeOf(user) >= this.config.max_calls.per_user
    )
      return void (await refuse(486, 'Busy Here'));
    // The media first: an offer the relay cannot take is refused before any room or ghost is made.
    let matrixOffer = offer;
    let media: MediaRelay | undefined;
    if (this.config.media.mode === 'relay') {
      media = this.newRelay();
      try {
        matrixOffer = await media.sipOffered(offer);
      } catch (err) {
        this.log.info({ did, err: (err as Error).message }, 'incoming call SDP unusable: 488');
        await media.close();
        return void (await refuse(488, 'Not Acceptable Here'));
      }
    }
    const portal = await this.portals.dm(user, party, request.from.displayName);
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
    this.track(call);
    const ringMs = this.ringMs();
    call.ringTimer = setTimeout(() => {
      this.log.info({ portal, callId: call.callId }, 'incoming call not answered: 480');
      this.counters.calls('incoming', 'timeout');
      void invitation.reject({ statusCode: 480, reasonPhrase: 'No answer' }).catch(() => undefined);
      void this.tell(call, { action: 'hangup', reason: 'invite_timeout' });
    }, ringMs);
    invitation.delegate = {
      ...invitation.delegate,
      onCancel: () => {
        this.counters.calls('incoming', 'cancelled');
        void this.tell(call, { action: 'hangup', reason: 'user_hangup' });
      },
    };
    await this.emitSignal(call, {
      action: 'invite',
      sdp: matrixOffer,
      lifetime: ringMs,
      invitee: user,
    });
    await invitation.progress().catch(() => undefined); // 180 Ringing
  }

  // ------------------------------------------------------------------ shared

  private ringMs(lifetime?: number): number {
    const max = this.config.ring_timeout_seconds * 1000;
    return lifetime && lifetime > 0 ? Math.min(lifetime, max) : max;
  }

  private track(call: Call): void {
    this.calls.set(call.callId, call);
    void this.store
      .add(call.callId, { portal: call.portal, party: call.party })
      .catch((err: unknown) => this.log.warn({ err }, 'call not stored'));
    // DTMF from the phone (SIP INFO) shows in the room: Matrix has no DTMF event.
    call.session.delegate = {
      ...call.session.delegate,
      onInfo: dtmfInfoHandler((digit, id) =>
        this.portals.emit({
          kind: 'message',
          portal: call.portal,
          sender: call.party,
          id: remoteMessageId(id),
          content: { kind: 'text', text: `DTMF ${digit}` },
        }),
      ),
    };
    this.bySession.set(call.session, call);
    call.session.stateChange.addListener((state) => {
      if (state !== SessionState.Terminated) return;
      // A BYE from SIP (or any end Matrix was not told of yet). Before an answer, the final
      // response's own handler (onReject, onCancel) tells the outcome first: wait for it.
      const hangup = () => void this.tell(call, { action: 'hangup', reason: 'user_hangup' });
      if (call.answered) hangup();
      else setTimeout(hangup, 50);
    });
  }

  private untrack(call: Call): void {
    clearTimeout(call.ringTimer);
    if (this.calls.delete(call.callId))
      void this.store
        .remove(call.callId)
        .catch((err: unknown) => this.log.warn({ err }, 'call not removed from the store'));
    const media = call.media;
    call.media = undefined; // once: a call can end from both sides at the same moment
    if (media) {
      const { toSip, toMatrix, foreign } = media.stats;
      this.log.info(
        { portal: call.portal, callId: call.callId, toSip, toMatrix, foreign },
        'call media ended',
      );
      this.counters.media(media.stats);
      void media.close();
    }
  }

  private newRelay(): MediaRelay {
    const m = this.config.media;
    return new MediaRelay({
      bindAddress: m.rtp_bind_address,
      ...(m.public_address ? { publicAddress: m.public_address } : {}),
      iceServers: m.ice_servers,
    });
  }

  /** The SIP side answered: Matrix gets the answer (the relay's WebRTC answer, or the SIP SDP). */
  private async answerToMatrix(call: Call, sipSdp: string): Promise<void> {
    let sdp = sipSdp;
    if (call.media) {
      try {
        sdp = await call.media.sipAnswered(sipSdp);
      } catch (err) {
        this.log.warn({ portal: call.portal, err: (err as Error).message }, 'SIP answer unusable');
        await call.session.bye().catch(() => undefined);
        return this.tell(call, { action: 'hangup', reason: 'user_media_failed' });
      }
    }
    await this.emitSignal(call, { action: 'answer', sdp });
  }

  /** Tells Matrix the call ended (once). */
  private async tell(call: Call, outcome: Pick<CallSignal, 'action' | 'reason'>): Promise<void> {
    if (call.ended) return this.untrack(call);
    call.ended = true;
    this.untrack(call);
    await this.emitSignal(call, outcome);
  }

  private async emitSignal(call: Call, signal: Omit<CallSignal, 'callId'>): Promise<void> {
    try {
      await this.portals.emit({
        kind: 'call',
        portal: call.portal,
        sender: call.party,
        callId: call.callId,
        ...signal,
      } as Parameters<Portals['emit']>[0]);
    } catch (err) {
      this.log.error(
        { err, portal: call.portal, callId: call.callId },
        'call event not queued for Matrix',
      );
    }
  }

  /** Sends DTMF digits (SIP INFO) into the established call of a DM room. */
  async sendDtmf(portal: PortalKey, digits: string): Promise<void> {
    const call = [...this.calls.values()].find(
      (c) => c.portal === portal && c.session.state === SessionState.Established,
    );
    if (!call) throw new BridgeError('rejected', 'there is no call in progress in this room');
    await sendDtmfInfo(call.session, digits);
  }

  /** Ends every call on both sides (the bridge stops). */
  async stop(): Promise<void> {
    for (const call of [...this.calls.values()]) {
      await this.tell(call, { action: 'hangup', reason: 'user_hangup' });
      const s = call.session;
      if (s.state === SessionState.Established) await s.bye().catch(() => undefined);
      else if (s instanceof Inviter) await s.cancel().catch(() => undefined);
      else if (s instanceof Invitation) await s.reject({ statusCode: 503 }).catch(() => undefined);
    }
  }
}
