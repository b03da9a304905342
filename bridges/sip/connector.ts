/**
 * The SIP bridge: a shared trunk account registered over SIP-over-WebSocket; DM rooms between a
 * Matrix user and a phone number or SIP address carry texts (SIP MESSAGE) and calls (INVITE ↔
 * m.call.*). See README.md.
 */
import type { LoopDelay } from './media/relay-protocol.js';
import {
  BridgeError,
  type BridgeContext,
  type CallCapable,
  type Command,
  type Connector,
  type GhostInvite,
  type GhostInviteHandling,
  type GhostProfile,
  type GhostResolving,
  type MatrixCall,
  type MatrixMessage,
  type MatrixUserId,
  type PortalKey,
  type RemoteUserId,
  type SendResult,
} from '../../src/connector.js';
import { SipCalls } from './calls/sip-calls.js';
import { CallStore } from './calls/call-store.js';
import { sipConfigSchema, type SipConfig } from './config.js';
import { SipConnection, type RegistrationState } from './signalling/connection.js';
import { DialPlan } from './parties/dial-plan.js';
import { dmPortal, parseParty } from './ids.js';
import { Portals } from './parties/portals.js';
import { BridgedSdh } from './signalling/sdp-handler.js';
import { MAX_TEXT_BYTES, SipTexts } from './texts/texts.js';
import { UserLines } from './signalling/lines.js';
import type { Line } from './calls/call.js';
import { loginCommands } from './commands/login.js';
import { linkCommands } from './commands/link.js';
import { callCommand } from './commands/call-command.js';
import type { Session, UserAgentDelegate } from 'sip.js';

export class SipConnector
  implements Connector<SipConfig>, CallCapable, GhostInviteHandling, GhostResolving
{
  readonly id = 'sip';
  readonly displayName = 'SIP';
  readonly configSchema = sipConfigSchema;
  readonly capabilities = { maxBodyBytes: MAX_TEXT_BYTES, formatting: false };
  private ctx?: BridgeContext<SipConfig>;
  private connection?: SipConnection;
  private texts?: SipTexts;
  private calls?: SipCalls;
  private plan?: DialPlan;
  private lines?: UserLines;
  private portals?: Portals;

  async start(ctx: BridgeContext<SipConfig>): Promise<void> {
    this.ctx = ctx;
    const log = ctx.log;
    const plan = (this.plan = new DialPlan(ctx.config));
    const portals = new Portals(ctx);
    this.portals = portals;
    let registration: RegistrationState = 'connecting';
    ctx.metrics.gauge(
      'registered',
      'Whether the trunk account is registered (1) or not (0)',
      ['state'],
      () => [{ labels: { state: registration }, value: registration === 'registered' ? 1 : 0 }],
    );
    const callCounter = ctx.metrics.counter('calls', 'Calls by direction and outcome', [
      'direction',
      'outcome',
    ]);
    const textCounter = ctx.metrics.counter('texts', 'SIP MESSAGEs by direction', ['direction']);
    ctx.metrics.gauge('active_calls', 'Calls in progress', [], () => [
      { labels: {}, value: this.calls?.active ?? 0 },
    ]);
    // The trunk's requests go by DID; a user's own account's (`sip login`) to that user.
    const delegateFor = (owner?: MatrixUserId): UserAgentDelegate => ({
      onMessage: (message) => {
        textCounter.inc({ direction: 'to_matrix' });
        void this.texts?.received(message, owner);
      },
      onInvite: (invitation) => {
        void this.calls?.incoming(invitation, owner).catch((err: unknown) => {
          log.error({ err }, 'incoming call failed');
          void invitation.reject({ statusCode: 500 }).catch(() => undefined);
        });
      },
    });
    const sdhFactory = (session: Session) => new BridgedSdh(this.calls?.sdpSide(session));
    const connection = (this.connection = new SipConnection({
      config: ctx.config,
      log,
      sdhFactory,
      delegate: delegateFor(),
      onState: (state) => (registration = state),
    }));
    const lines = (this.lines = new UserLines({
      config: ctx.config,
      log,
      kv: ctx.kv,
      secrets: ctx.secrets,
      connect: (owner, config) =>
        new SipConnection({
          config,
          log: log.child({ line: owner }),
          sdhFactory,
          delegate: delegateFor(owner),
        }),
    }));
    const lineOf = (user: string): Line => {
      const own = lines.of(user);
      return own ? { connection: own, own: true } : { connection, own: false };
    };
    this.texts = new SipTexts(ctx.config, log, lineOf, plan, portals, (portal, digits) => {
      if (!this.calls)
        throw new BridgeError('not-connected', 'the SIP bridge is not running', true);
      return this.calls.sendDtmf(portal, digits);
    });
    const rtpPackets = ctx.metrics.counter('rtp_packets', 'RTP packets relayed', ['direction']);
    const rtpBytes = ctx.metrics.counter('rtp_bytes', 'RTP bytes relayed', ['direction']);
    const rtpLost = ctx.metrics.counter(
      'rtp_lost_packets',
      'RTP packets lost on their way to the relay (ended calls; from sequence numbers)',
      ['direction'],
    );
    const rtpExpected = ctx.metrics.counter(
      'rtp_expected_packets',
      'RTP packets expected by the relay (ended calls): lost / expected is the loss ratio',
      ['direction'],
    );
    const perCall = (figure: 'lossRatio' | 'jitterMs') => () =>
      (this.calls?.qualities() ?? []).flatMap(({ callId, quality }) => [
        { labels: { call: callId, direction: 'to_sip' }, value: quality.toSip[figure] },
        { labels: { call: callId, direction: 'to_matrix' }, value: quality.toMatrix[figure] },
      ]);
    ctx.metrics.gauge(
      'call_rtp_loss_ratio',
      'RTP loss so far of each call in progress, each way, as the relay receives it',
      ['call', 'direction'],
      perCall('lossRatio'),
    );
    ctx.metrics.gauge(
      'call_rtp_jitter_ms',
      'RTP interarrival jitter (RFC 3550) of each call in progress, each way, in milliseconds',
      ['call', 'direction'],
      perCall('jitterMs'),
    );
    const calls = (this.calls = new SipCalls(
      ctx.config,
      log,
      connection,
      lines,
      plan,
      portals,
      {
        calls: (direction, outcome) => callCounter.inc({ direction, outcome }),
        media: (stats, quality) => {
          rtpPackets.inc({ direction: 'to_sip' }, stats.toSip.packets);
          rtpPackets.inc({ direction: 'to_matrix' }, stats.toMatrix.packets);
          rtpBytes.inc({ direction: 'to_sip' }, stats.toSip.bytes);
          rtpBytes.inc({ direction: 'to_matrix' }, stats.toMatrix.bytes);
          rtpLost.inc({ direction: 'to_sip' }, quality.toSip.lost);
          rtpLost.inc({ direction: 'to_matrix' }, quality.toMatrix.lost);
          rtpExpected.inc({ direction: 'to_sip' }, quality.toSip.expected);
          rtpExpected.inc({ direction: 'to_matrix' }, quality.toMatrix.expected);
        },
      },
      new CallStore(ctx.kv),
    ));
    await calls.endLeftOver();
    await calls.startMedia();
    await connection.start();
    await lines.load();
  }

  async stop(): Promise<void> {
    await this.calls?.stop();
    await this.lines?.stop();
    await this.connection?.stop();
    this.ctx = undefined;
  }

  /** Resolves once the trunk is registered (tests, and `sip status`). */
  registered(ms = 10_000): Promise<void> {
    if (!this.connection) return Promise.reject(new Error('the SIP bridge is not running'));
    return this.connection.registered(ms);
  }

  /**
   * Each media thread's event-loop delay (ms: p50, p99, max) since the last reset: how late the
   * relayed calls' packets can be handled, and where they waited (relay-probe.ts) (benchmarks).
   */
  mediaLoopDelay(reset = false): Promise<LoopDelay[]> {
    return this.calls?.mediaLoopDelay(reset) ?? Promise.resolve([]);
  }

  /** Ends media thread `index` as an uncaught error in it would (tests of the calls it held). */
  crashMediaThread(index = 0): Promise<void> {
    if (!this.calls) return Promise.reject(new Error('the bridge is not started'));
    return this.calls.crashMediaThread(index);
  }

  get registration(): RegistrationState | undefined {
    return this.connection?.registration;
  }

  async handleMatrixMessage(msg: MatrixMessage): Promise<SendResult> {
    if (!this.texts) throw new BridgeError('not-connected', 'the SIP bridge is not running', true);
    return this.texts.send(msg);
  }

  async handleMatrixCall(call: MatrixCall): Promise<void> {
    if (!this.calls) throw new BridgeError('not-connected', 'the SIP bridge is not running', true);
    await this.calls.fromMatrix(call);
  }

  /** A Matrix user invites a number's or address's ghost to a DM: the room becomes that conversation. */
  async handleGhostInvite(invite: GhostInvite): Promise<PortalKey | null> {
    if (!this.plan) return null;
    const refusal = this.plan.refusal(
      invite.inviter,
      invite.ghost,
      this.lines?.of(invite.inviter) !== undefined,
    );
    if (refusal) {
      this.ctx?.log.info(
        { inviter: invite.inviter, ghost: invite.ghost },
        `DM refused: ${refusal}`,
      );
      await this.ctx?.notify(invite.inviter, `Cannot open a SIP conversation: ${refusal}.`);
      return null;
    }
    return dmPortal(invite.inviter, invite.ghost);
  }

  commands(): Command[] {
    return [
      {
        name: 'status',
        help: "the trunk's registration, calls in progress, and your number",
        run: async (cmd) => {
          const did = this.plan?.didOf(cmd.sender);
          const may = this.plan?.mayUse(cmd.sender) ?? false;
          const own = this.lines?.of(cmd.sender);
          return cmd.reply(
            [
              `SIP trunk: ${this.registration ?? 'not running'} (${this.connection?.aor ?? '?'}).`,
              ...(own ? [`Your own account: ${own.registration} (${own.aor}).`] : []),
              `Calls in progress: ${this.calls?.active ?? 0}.`,
              did ? `Your number: ${did}.` : 'You have no number (DID) on this trunk.',
              may
                ? 'You may call and text out: `sip call <number>` opens your direct chat with a number (or invite @sip_=2b<number>:<domain>, e.g. +15551234567 → @sip_=2b15551234567, to one).'
                : 'You may not call or text out through the trunk.',
            ].join('\n'),
          );
        },
      },
      callCommand(() => {
        const { plan, portals } = this;
        if (!plan || !portals) return undefined;
        return {
          refusal: (user, party) => plan.refusal(user, party, this.lines?.of(user) !== undefined),
          dm: async (user, party) => {
            const key = await portals.dm(user, party);
            // The ghost in the room at once: the chat shows the number, as a DM with it should.
            await portals.emit({
              kind: 'membership',
              portal: key,
              sender: party,
              membership: 'join',
            });
            return key;
          },
        };
      }),
      ...loginCommands(() => this.lines),
      ...linkCommands(() => {
        const { plan, portals } = this;
        if (!plan || !portals) return undefined;
        return {
          refusal: (user, party) => plan.refusal(user, party, this.lines?.of(user) !== undefined),
          room: (aliasOrId) => portals.room(aliasOrId),
          link: (user, party, roomId) => portals.link(user, party, roomId),
          unlink: (user, party) => portals.unlink(user, party),
        };
      }),
    ];
  }

  async resolveGhost(remote: RemoteUserId): Promise<GhostProfile | null> {
    return parseParty(remote) ? { displayName: remote } : null;
  }
}
