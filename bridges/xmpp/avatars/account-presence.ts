/**
 * An XMPP account's presence on its ghost (`@xmpp_<bare JID>`), merged over the sessions the bridge
 * hears it from: a contact's resources (dm/contact-presence.ts) and their sessions in gateway rooms
 * (gateway/gateway.ts). The most available session is the ghost's presence (online, away as
 * `unavailable`, offline once the last one is gone), with its status text; GhostAvatars sets it
 * only when that changes, so a client repeating its presence costs Matrix nothing.
 */
import type { Element } from '@xmpp/xml';
import type { XmppDeps } from '../deps.js';
import type { AvatarSource } from './ghost-avatars.js';
import { kept } from '../util/kept.js';

export interface Session {
  presence: 'online' | 'unavailable';
  status?: string;
}

/** Sessions an account may have at once before the oldest is forgotten (a bound on memory). */
const MAX_SESSIONS = 32;

/** A session's presence as its `<show>` (away, xa, dnd: `unavailable`) and `<status>` tell. */
export function sessionOf(el: Element): Session {
  const show = el.getChildText('show');
  const status = el.getChildText('status')?.trim().slice(0, 512) || undefined;
  return {
    presence: show && show !== 'chat' ? 'unavailable' : 'online',
    ...(status ? { status } : {}),
  };
}

export class AccountPresence {
  /** A ghost → its account's sessions, by the caller's name for each. */
  private readonly accounts = new Map<string, Map<string, Session>>();

  constructor(private readonly d: XmppDeps) {}

  /** `session` of `src.ghost`'s account is `now` (undefined: gone); the ghost shows the best. */
  heard(src: AvatarSource, session: string, now: Session | undefined): void {
    let sessions = this.accounts.get(src.ghost);
    if (!sessions) this.accounts.set(kept(src.ghost), (sessions = new Map()));
    sessions.delete(session);
    if (now) sessions.set(kept(session), { ...now, status: kept(now.status) });
    if (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
    const all = [...sessions.values()];
    const best = all.find((s) => s.presence === 'online') ?? all.at(-1);
    if (sessions.size === 0) this.accounts.delete(src.ghost);
    this.d.avatars?.setPresence(src, best?.presence ?? 'offline', best?.status);
  }
}
