/**
 * An IRC user's message that Matrix gave up on (a room where their ghost may not speak, say):
 * the bridge bot tells them in a short NOTICE, never echoing their text back. At most one per
 * nick per minute, and `PER_NETWORK` per network a minute, so a refused flood is no NOTICE flood:
 * the next NOTICE counts what was refused meanwhile.
 */
import type { EmitOutcome } from '../../../src/connector.js';

/** What core hands back with the outcome (the ref survives a restart; nothing else does). */
export interface RefusedRef {
  t: 'irc-refused';
  network: string;
  nick: string;
  /** The channel it was said in; absent for a private message. */
  channel?: string;
}

export const refusedRef = (network: string, nick: string, channel?: string): string =>
  JSON.stringify({
    t: 'irc-refused',
    network,
    nick,
    ...(channel ? { channel } : {}),
  } satisfies RefusedRef);

export function parseRefusedRef(ref: string): RefusedRef | undefined {
  try {
    const parsed = JSON.parse(ref) as Partial<RefusedRef>;
    return parsed.t === 'irc-refused' && parsed.network && parsed.nick
      ? (parsed as RefusedRef)
      : undefined;
  } catch {
    return undefined;
  }
}

const WINDOW_MS = 60_000;
const PER_NETWORK = 10;

/** No CR, LF or NUL: the NOTICE stays one line whatever it quotes. */
const oneLine = (s: string) => s.replace(/[\r\n\0]/g, ' ');

export class RefusalNotices {
  /** Per network and nick (lower case): when the last NOTICE went, and what was refused since. */
  private readonly told = new Map<string, { at: number; since: number }>();
  /** Per network: the NOTICEs of the current window. */
  private readonly sent = new Map<string, { from: number; count: number }>();

  constructor(
    /** Sends one whole line on the network's bot connection. */
    private readonly write: (network: string, line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  refused(ref: RefusedRef, outcome: Extract<EmitOutcome, { delivered: false }>): void {
    const now = this.now();
    const key = `${ref.network}\n${ref.nick.toLowerCase()}`;
    const last = this.told.get(key);
    const window = this.sent.get(ref.network);
    const networkFull = window && now - window.from < WINDOW_MS && window.count >= PER_NETWORK;
    if ((last && now - last.at < WINDOW_MS) || networkFull) {
      if (last) last.since++;
      else this.told.set(key, { at: 0, since: 1 });
      return;
    }
    const where = ref.channel ? `to ${ref.channel}` : '(a private message)';
    const more = last?.since ? ` (and ${last.since} more since the last notice)` : '';
    const text = `Your message ${where} was not delivered to Matrix${more}: ${outcome.reason}.`;
    if (this.told.size > 10_000) this.forgetQuiet(now);
    this.told.set(key, { at: now, since: 0 });
    if (!window || now - window.from >= WINDOW_MS)
      this.sent.set(ref.network, { from: now, count: 1 });
    else window.count++;
    this.write(ref.network, oneLine(`NOTICE ${ref.nick} :${text}`));
  }

  /** Nicks told over a minute ago with nothing refused since: nothing to remember. */
  private forgetQuiet(now: number): void {
    for (const [key, t] of this.told)
      if (now - t.at >= WINDOW_MS && t.since === 0) this.told.delete(key);
  }
}
