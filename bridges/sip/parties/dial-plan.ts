/** Which remote parties Matrix users may call and text, and who rings for a DID. */
import type { MatrixUserId } from '../../../src/connector.js';
import type { SipConfig } from '../config.js';
import { parseParty } from '../ids.js';

export class DialPlan {
  private readonly allow: RegExp[];
  private readonly deny: RegExp[];
  private readonly domains: Set<string>;
  private readonly users: Set<string>;
  /** Matrix user → their DID (the first one), the caller id they call out with. */
  private readonly didOfUser = new Map<string, string>();

  constructor(private readonly config: SipConfig) {
    this.allow = config.dial_plan.allow.map((r) => new RegExp(r));
    this.deny = config.dial_plan.deny.map((r) => new RegExp(r));
    this.domains = new Set(config.dial_plan.allow_domains);
    for (const [did, user] of Object.entries(config.dids))
      if (!this.didOfUser.has(user)) this.didOfUser.set(user, did);
    this.users = new Set(config.users.length ? config.users : Object.values(config.dids));
  }

  /** Whether `user` may call and text out through the trunk at all. */
  mayUse(user: string): boolean {
    return this.users.has(user);
  }

  /**
   * Why `user` may not reach `party`, or undefined when they may. On their own line (`sip login`)
   * they need not be a trunk user; the destinations allowed are the same.
   */
  refusal(user: string, party: string, ownLine = false): string | undefined {
    if (!ownLine && !this.mayUse(user))
      return 'you are not allowed to use the SIP trunk (ask an admin, or `sip login` with your own account)';
    const p = parseParty(party);
    if (!p) return `${party} is not a phone number or SIP address`;
    if (p.kind === 'number') {
      if (this.deny.some((r) => r.test(p.number)))
        return `${p.number} is a number the dial plan refuses (premium rate or denied)`;
      if (!this.allow.some((r) => r.test(p.number)))
        return `${p.number} is not a number the dial plan allows`;
      return undefined;
    }
    return this.domains.has(p.address.host)
      ? undefined
      : `the dial plan allows no calls to ${p.address.host}`;
  }

  /** The Matrix user a DID rings and texts. */
  userOfDid(did: string): MatrixUserId | undefined {
    return this.config.dids[did] as MatrixUserId | undefined;
  }

  /** The caller id (DID) a Matrix user calls out with, if they have one. */
  didOf(user: string): string | undefined {
    return this.didOfUser.get(user);
  }
}
