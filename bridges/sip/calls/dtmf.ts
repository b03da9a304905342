/**
 * DTMF by SIP INFO (`application/dtmf-relay`, the form most PBXs and trunks take): digits typed in
 * the call's DM room as `!dtmf 1234#` go to the phone; digits the phone sends show in the room.
 * Matrix VoIP has no DTMF event, and Matrix clients no keypad for a bridged call.
 */

import type { Info, Session } from 'sip.js';
import { BridgeError } from '../../../src/connector.js';

/** `!dtmf <digits>` typed in a DM room: the digits, or undefined when the text is not that command. */
export function dtmfCommand(text: string): string | undefined {
  const m = /^!dtmf\s+([0-9*#A-Da-d]{1,32})\s*$/.exec(text);
  return m ? m[1]!.toUpperCase() : undefined;
}

/** The body of one INFO for `digit`. */
export function dtmfRelayBody(digit: string, durationMs = 160): string {
  if (!/^[0-9*#A-D]$/.test(digit)) throw new Error(`not a DTMF digit: ${digit}`);
  return `Signal=${digit}\r\nDuration=${durationMs}\r\n`;
}

/** The digit of an INFO body (`application/dtmf-relay` or `application/dtmf`), if it has one. */
export function parseDtmfInfo(contentType: string, body: string): string | undefined {
  const type = contentType.toLowerCase().split(';')[0]!.trim();
  if (type === 'application/dtmf-relay') {
    const m = /^Signal\s*=\s*([0-9*#A-Da-d])\s*$/im.exec(body);
    return m?.[1]!.toUpperCase();
  }
  if (type === 'application/dtmf') {
    const m = /^\s*([0-9*#A-Da-d]|1[0-5])\s*$/.exec(body);
    if (!m) return undefined;
    const n = Number(m[1]);
    return Number.isNaN(n) ? m[1]!.toUpperCase() : '0123456789*#ABCD'[n];
  }
  return undefined;
}

/** Sends `digits` into an established session, one INFO each, each answered before the next. */
export async function sendDtmfInfo(session: Session, digits: string): Promise<void> {
  for (const digit of digits) {
    await new Promise<void>((resolve, reject) => {
      void session
        .info({
          requestDelegate: {
            onAccept: () => resolve(),
            onReject: (r) =>
              reject(
                new BridgeError('rejected', `the phone refused the DTMF: ${r.message.statusCode}`),
              ),
          },
          requestOptions: {
            body: {
              contentDisposition: 'render',
              contentType: 'application/dtmf-relay',
              content: dtmfRelayBody(digit),
            },
          },
        })
        .catch((err: unknown) => reject(new BridgeError('network', (err as Error).message, true)));
    });
  }
}

/** A session's INFO handler: DTMF digits go to `show` (with an id for the message), the rest 415. */
export function dtmfInfoHandler(
  show: (digit: string, id: string) => Promise<void>,
): (info: Info) => void {
  return (info) => {
    const r = info.request;
    const digit = parseDtmfInfo(r.getHeader('Content-Type') ?? '', r.body ?? '');
    if (!digit) return void info.reject({ statusCode: 415 }).catch(() => undefined);
    void info.accept().catch(() => undefined);
    void show(digit, `dtmf:${r.callId}:${r.cseq}`).catch(() => undefined);
  };
}
