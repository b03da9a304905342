/**
 * SIP MESSAGE (RFC 3428) ↔ text in a DM room. Only the body (text/plain) carries what a Matrix user
 * wrote: the request URI and headers are built by sip.js from validated ids, never from Matrix
 * text. A MESSAGE the far end refuses (4xx–6xx) is a failure told to the Matrix sender.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Messager, UserAgent, type Message } from 'sip.js';
import {
  BridgeError,
  remoteMessageId,
  type MatrixMessage,
  type MatrixUserId,
  type PortalKey,
  type SendResult,
} from '../../../src/connector.js';
import { sipDomain, type SipConfig } from '../config.js';
import type { Line } from '../calls/call.js';
import type { DialPlan } from '../parties/dial-plan.js';
import { parseDmPortal, parseParty, partyUri } from '../ids.js';
import type { Portals } from '../parties/portals.js';
import { dtmfCommand } from '../calls/dtmf.js';

/** The largest MESSAGE body sent (RFC 3428 asks to stay under 1300 bytes over UDP; proxies vary). */
export const MAX_TEXT_BYTES = 1300;

export class SipTexts {
  constructor(
    private readonly config: SipConfig,
    private readonly log: Logger,
    /** The line a Matrix user texts from: their own (`sip login`) or the trunk. */
    private readonly lineOf: (user: string) => Line,
    private readonly plan: DialPlan,
    private readonly portals: Portals,
    /** Sends DTMF into the room's call (`!dtmf <digits>`). */
    private readonly dtmf: (portal: PortalKey, digits: string) => Promise<void>,
  ) {}

  /** A Matrix user's text in a DM room goes out as a MESSAGE to the remote party. */
  async send(msg: MatrixMessage): Promise<SendResult> {
    const dm = parseDmPortal(msg.portal);
    if (!dm) throw new BridgeError('unknown-target', 'this room is not a SIP conversation');
    if (msg.sender.userId !== dm.user)
      throw new BridgeError('rejected', `only ${dm.user} may text from this room`);
    const line = this.lineOf(dm.user);
    const refusal = this.plan.refusal(dm.user, dm.party, line.own);
    if (refusal) throw new BridgeError('rejected', refusal);
    if (line.connection.registration !== 'registered')
      throw new BridgeError(
        'not-connected',
        `${line.own ? 'your SIP account' : 'the SIP trunk'} is not registered right now`,
        true,
      );
    const text = msg.content.text;
    const digits = dtmfCommand(text.trim());
    if (digits) {
      await this.dtmf(msg.portal, digits);
      return { remoteId: remoteMessageId(`dtmf:${randomUUID()}`) };
    }
    const target = UserAgent.makeURI(partyUri(parseParty(dm.party)!, numberDomain(this.config)));
    if (!target) throw new BridgeError('unknown-target', `cannot address ${dm.party}`);
    const confirmed = new Promise<void>((resolve, reject) => {
      const messager = new Messager(line.connection.ua, target, text, 'text/plain;charset=utf-8');
      messager
        .message({
          requestDelegate: {
            onAccept: () => resolve(),
            onReject: (response) => {
              const { statusCode, reasonPhrase } = response.message;
              reject(
                new BridgeError(
                  'rejected',
                  `the SIP side refused the text: ${statusCode} ${reasonPhrase}`,
                ),
              );
            },
          },
        })
        .catch((err: unknown) =>
          reject(new BridgeError('network', `could not send: ${(err as Error).message}`, true)),
        );
    });
    this.log.debug({ portal: msg.portal, bytes: Buffer.byteLength(text) }, 'MESSAGE sent');
    return { remoteId: remoteMessageId(`out:${randomUUID()}`), confirmed };
  }

  /**
   * A MESSAGE for a DID (or, `owner` set, for a user's own account): into the DM of its Matrix
   * user with the sender's ghost.
   */
  async received(message: Message, owner?: MatrixUserId): Promise<void> {
    const request = message.request;
    const did = request.to.uri.user ?? '';
    const user = owner ?? this.plan.userOfDid(did);
    const from = this.portals.partyOf(request.from.uri.user, hostPort(request.from.uri));
    const type = (request.getHeader('Content-Type') ?? 'text/plain').toLowerCase();
    if (!user) {
      this.log.info({ did }, 'MESSAGE for a number with no Matrix user: 404');
      return void message.reject({ statusCode: 404, reasonPhrase: 'No such number' });
    }
    if (!from) return void message.reject({ statusCode: 400, reasonPhrase: 'Unusable From' });
    if (!type.startsWith('text/plain'))
      return void message.reject({ statusCode: 415, reasonPhrase: 'Only text/plain' });
    const body = request.body ?? '';
    try {
      const portal = await this.portals.dm(user as MatrixUserId, from, request.from.displayName);
      const callId = request.callId;
      await this.portals.emit({
        kind: 'message',
        portal,
        sender: from,
        id: remoteMessageId(`in:${callId}:${request.cseq}`),
        content: { kind: 'text', text: body },
      });
      await message.accept();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'MESSAGE not bridged: 500');
      await message.reject({ statusCode: 500 }).catch(() => undefined);
    }
  }
}

export const hostPort = (uri: { host: string; port?: number | undefined }): string =>
  uri.port ? `${uri.host}:${uri.port}` : uri.host;

export const numberDomain = (c: SipConfig): string => c.dial_plan.number_domain ?? sipDomain(c);
