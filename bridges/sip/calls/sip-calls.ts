/**
 * The calls between Matrix VoIP (`m.call.*`) and SIP INVITE dialogs, one per Matrix call id: the
 * list, what Matrix sends routed to its handler (outgoing.ts, incoming.ts,
 * hold.ts), and what every call shares (the store, DTMF by INFO, the end of a call told to
 * Matrix once, the media's figures).
 */
import type { LoopDelay } from '../media/relay-protocol.js';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { Invitation, Inviter, SessionState, type Session } from 'sip.js';
import {
  BridgeError,
  remoteMessageId,
  type CallSignal,
  type MatrixCall,
  type MatrixUserId,
  type PortalKey,
} from '../../../src/connector.js';
import type { SipConfig } from '../config.js';
import type { SipConnection } from '../signalling/connection.js';
import type { DialPlan } from '../parties/dial-plan.js';
import type { Portals } from '../parties/portals.js';
import type { SdpSide } from '../signalling/sdp-handler.js';
import { RelayPool, type RelayHandle } from '../media/relay-pool.js';
import { dtmfInfoHandler, sendDtmfInfo } from './dtmf.js';
import { hangUpLeftOver, type CallStore } from './call-store.js';
import type { Call, CallCounters, CallKit, Line } from './call.js';
import type { UserLines } from '../signalling/lines.js';
import { dial } from './outgoing.js';
import { answer, incoming } from './incoming.js';
import { negotiateFromMatrix, sdpSideOf } from './hold.js';
import { endNotice } from './end-notice.js';
import type { CallQuality } from '../media/relay.js';

export class SipCalls implements CallKit {
  private readonly calls = new Map<string, Call>();
  private readonly bySession = new WeakMap<Session, Call>();
  private pool?: RelayPool;
  /** Calls whose media is ending (their final figures on the way from the media thread). */
  private readonly ending = new Set<Promise<void>>();

  constructor(
    readonly config: SipConfig,
    readonly log: Logger,
    private readonly trunk: SipConnection,
    private readonly lines: UserLines,
    readonly plan: DialPlan,
    readonly portals: Portals,
    readonly counters: CallCounters,
    private readonly store: CallStore,
  ) {}

  /** Calls a crashed run left in progress: Matrix is told they ended. */
  endLeftOver(): Promise<void> {
    return hangUpLeftOver(this.store, this.portals, this.log);
  }

  /** sip.js asks for a session's SDP handler: the call's SDP, whichever side has it. */
  sdpSide(session: Session): SdpSide | undefined {
    const call = this.bySession.get(session);
    return call ? sdpSideOf(this, call) : undefined;
  }

  get active(): number {
    return this.calls.size;
  }

  /** Loss and jitter so far of each call in progress with relayed media (for /metrics). */
  qualities(): { callId: string; quality: CallQuality }[] {
    return [...this.calls.values()].flatMap((c) =>
      c.media && c.answered ? [{ callId: c.callId, quality: c.media.quality }] : [],
    );
  }

  has(callId: string): boolean {
    return this.calls.has(callId);
  }

  activeOf(user: string): number {
    return [...this.calls.values()].filter((c) => c.user === user).length;
  }

  // ------------------------------------------------------------------ Matrix → SIP

  async fromMatrix(ev: MatrixCall): Promise<void> {
    const call = this.calls.get(ev.callId);
    if (ev.action === 'invite') return dial(this, ev);
    if (!call) return; // a call of another device, or one that is over
    if (ev.sender.userId !== call.user) return;
    // Once a device is in the call, other devices' events are not this call's (VoIP v1).
    if (call.matrixParty && ev.partyId && ev.partyId !== call.matrixParty && ev.action !== 'answer')
      return;
    switch (ev.action) {
      case 'answer':
        return answer(this, call, ev);
      case 'hangup':
      case 'reject':
        return this.hangupFromMatrix(call, ev.reason);
      case 'candidates':
        // Relayed media: the bridge's own WebRTC peer takes them. Passthrough: the SDP already
        // went over SIP, where candidates cannot follow.
        if (call.media && ev.candidates) await call.media.addCandidates(ev.candidates);
        return;
      case 'negotiate':
        return negotiateFromMatrix(this, call, ev);
      case 'select_answer':
        return; // the bridge is the callee here: nothing to select toward SIP
    }
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

  /** An INVITE for a DID (or a user's own account): rings its Matrix user. */
  incoming(invitation: Invitation, owner?: MatrixUserId): Promise<void> {
    return incoming(this, invitation, owner);
  }

  lineOf(user: string): Line {
    const own = this.lines.of(user);
    return own ? { connection: own, own: true } : { connection: this.trunk, own: false };
  }

  // ------------------------------------------------------------------ shared

  ringMs(lifetime?: number): number {
    const max = this.config.ring_timeout_seconds * 1000;
    return lifetime && lifetime > 0 ? Math.min(lifetime, max) : max;
  }

  track(call: Call): void {
    this.calls.set(call.callId, call);
    void this.store
      .add(call.callId, { portal: call.portal, party: call.party })
      .catch((err: unknown) => this.log.warn({ err }, 'call not stored'));
    // DTMF from the phone (SIP INFO, or RFC 4733 in the media) shows in the room: Matrix has no
    // DTMF event.
    const showDigit = (digit: string, id: string) =>
      this.portals.emit({
        kind: 'message',
        portal: call.portal,
        sender: call.party,
        id: remoteMessageId(id),
        content: { kind: 'text', text: `DTMF ${digit}` },
      });
    call.session.delegate = { ...call.session.delegate, onInfo: dtmfInfoHandler(showDigit) };
    let pressed = 0;
    if (call.media) {
      call.media.onDigit = (digit) =>
        void showDigit(digit, `dtmf-rtp:${call.callId}:${++pressed}`).catch((err: unknown) =>
          this.log.warn({ err, portal: call.portal }, 'DTMF digit not shown'),
        );
      call.media.whenLost((why) => void this.mediaLost(call, why));
    }
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

  /**
   * The call's media thread stopped: no audio can flow any more, so the call is hung up on both
   * sides (Matrix: `unknown_error`; SIP: BYE, CANCEL or 503 with a Reason), and the room is told
   * why.
   */
  private async mediaLost(call: Call, why: string): Promise<void> {
    if (call.ended) return;
    this.log.error(
      { portal: call.portal, callId: call.callId, err: why },
      'call media lost: hanging up',
    );
    call.endReason =
      'The bridge lost this call’s audio (its media thread stopped) and hung up on both sides.';
    await this.tell(call, { action: 'hangup', reason: 'unknown_error' });
    await hangUpSip(call.session, MEDIA_LOST);
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
      const ending = this.endMedia(call, media);
      this.ending.add(ending);
      void ending.finally(() => this.ending.delete(ending));
    }
  }

  /** Ends a call's relay: its final figures logged, counted and told in the end notice. */
  private async endMedia(call: Call, media: RelayHandle): Promise<void> {
    await media.close();
    const { toSip, toMatrix, foreign, held } = media.stats;
    const quality = media.quality;
    this.log.info(
      { portal: call.portal, callId: call.callId, toSip, toMatrix, foreign, held, quality },
      'call media ended',
    );
    this.counters.media(media.stats, quality);
    const figures = call.answered
      ? endNotice(quality, call.answeredAt && Date.now() - call.answeredAt)
      : undefined;
    const text = [call.endReason, figures].filter(Boolean).join(' ');
    if (text)
      await this.portals
        .emit({
          kind: 'message',
          portal: call.portal,
          sender: call.party,
          id: remoteMessageId(`call-end:${call.callId}`),
          content: { kind: 'notice', text },
        })
        .catch((err: unknown) => this.log.warn({ err }, 'call end notice not queued'));
  }

  /** The media threads (relayed media), started before the first call. */
  async startMedia(): Promise<void> {
    if (this.config.media.mode !== 'relay') return;
    const m = this.config.media;
    this.pool = new RelayPool(
      {
        bindAddress: m.rtp_bind_address,
        ...(m.public_address ? { publicAddress: m.public_address } : {}),
        ...(m.rtp_ports ? { ports: m.rtp_ports } : {}),
        iceServers: m.ice_servers,
      },
      m.threads ?? Math.max(1, Math.min(8, availableParallelism() - 1)),
      this.log,
      m.priority,
      m.realtime,
      m.young_generation_mb,
      m.process,
    );
    await this.pool.start();
    if (m.priority !== undefined || m.realtime !== undefined)
      this.log.info(
        { priority: m.priority, realtime: m.realtime },
        'media threads started with their priority set',
      );
  }

  newRelay(): RelayHandle {
    if (!this.pool) throw new Error('the media threads are not started');
    return this.pool.open();
  }

  /** Each media thread's event-loop delay (ms) since the last reset (benchmarks). */
  mediaLoopDelay(reset: boolean): Promise<LoopDelay[]> {
    return this.pool?.loopDelay(reset) ?? Promise.resolve([]);
  }

  crashMediaThread(index: number): Promise<void> {
    if (!this.pool) return Promise.reject(new Error('no media threads (media: passthrough)'));
    return this.pool.crashThread(index);
  }

  async tell(call: Call, outcome: Pick<CallSignal, 'action' | 'reason'>): Promise<void> {
    if (call.ended) return this.untrack(call);
    call.ended = true;
    this.untrack(call);
    await this.emitSignal(call, outcome);
  }

  async emitSignal(call: Call, signal: Omit<CallSignal, 'callId'>): Promise<void> {
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

  /**
   * Sends DTMF digits into the established call of a DM room: RFC 4733 telephone-events in the
   * media when the phone negotiated them, SIP INFO otherwise.
   */
  async sendDtmf(portal: PortalKey, digits: string): Promise<void> {
    const call = [...this.calls.values()].find(
      (c) => c.portal === portal && c.session.state === SessionState.Established,
    );
    if (!call) throw new BridgeError('rejected', 'there is no call in progress in this room');
    if (call.media?.sendsDigits) return call.media.sendDigits(digits);
    await sendDtmfInfo(call.session, digits);
  }

  /** Ends every call on both sides (the bridge stops). */
  async stop(): Promise<void> {
    for (const call of [...this.calls.values()]) {
      await this.tell(call, { action: 'hangup', reason: 'user_hangup' });
      await hangUpSip(call.session);
    }
    await Promise.all([...this.ending]);
    await this.pool?.stop();
    this.pool = undefined;
  }
}

/** The Reason (RFC 3326) of a call the bridge ends because its media is gone. */
const MEDIA_LOST = 'Q.850;cause=41;text="media relay failed"';

/** Ends a call's SIP side, whatever its state: BYE, CANCEL, or 503 to an INVITE not answered. */
async function hangUpSip(s: Session, reason?: string): Promise<void> {
  const extraHeaders = reason ? [`Reason: ${reason}`] : [];
  if (s.state === SessionState.Established)
    await s.bye({ requestOptions: { extraHeaders } }).catch(() => undefined);
  else if (s instanceof Inviter) await s.cancel({ extraHeaders }).catch(() => undefined);
  else if (s instanceof Invitation && s.state === SessionState.Initial)
    await s.reject({ statusCode: 503, extraHeaders }).catch(() => undefined);
}
