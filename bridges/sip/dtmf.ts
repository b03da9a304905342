/**
 * DTMF by SIP INFO (`application/dtmf-relay`, the form most PBXs and trunks take): digits typed in
 * the call's DM room as `!dtmf 1234#` go to the phone; digits the phone sends show in the room.
 * Matrix VoIP has no DTMF event, and Matrix clients no keypad for a bridged call.
 */

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
