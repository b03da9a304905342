/**
 * The sender checks of the direct mode: SPF (the connecting address against the envelope sender's
 * domain), DKIM (the signatures in the mail) and DMARC (the From domain's policy over both), by
 * mailauth, and the verdict shown with the mail in Matrix: `verified` when DMARC passes, or (for a
 * domain without a DMARC policy) when a DKIM signature of the From domain verifies.
 */
import { authenticate, type AuthenticateResult, type DNSResolver } from 'mailauth';

export interface AuthVerdict {
  /** The From domain is proven (see above). */
  verified: boolean;
  /** One line for the room: `DKIM pass (example.org) · SPF pass · DMARC pass`. */
  summary: string;
  /** Refuse the mail (550): its DMARC check failed under a `p=reject` policy. */
  reject?: string;
  /** The Authentication-Results header mailauth wrote (for logs; never from the sender). */
  header: string;
}

export interface AuthInput {
  source: Buffer;
  /** The connecting client's address, its EHLO name and the MAIL FROM address ('' for a bounce). */
  ip: string;
  helo: string;
  sender: string;
  /** This MX's name (the bridge domain). */
  mta: string;
  /** DNS lookups (mailauth's own `resolver` option): the system's resolver when absent. */
  resolver?: DNSResolver | undefined;
}

export async function checkSender(input: AuthInput): Promise<AuthVerdict> {
  const result = await authenticate(input.source, {
    ip: input.ip,
    helo: input.helo,
    sender: input.sender,
    mta: input.mta,
    disableArc: true,
    disableBimi: true,
    ...(input.resolver ? { resolver: input.resolver } : {}),
  });
  return verdictOf(result);
}

/** Results of one check, as shown: `pass`, `fail`, `none`, … */
type Shown = Pick<AuthenticateResult, 'dkim' | 'spf' | 'dmarc'>;

export function verdictOf(result: Shown & { headers?: string }): AuthVerdict {
  const dkimResults = result.dkim?.results ?? [];
  const dkimPass = dkimResults.filter((r) => r.status?.result === 'pass');
  const dkim = dkimPass.length
    ? `DKIM pass (${[...new Set(dkimPass.map((r) => r.signingDomain))].join(', ')})`
    : `DKIM ${dkimResults[0]?.status?.result ?? 'none'}`;
  const spf = `SPF ${result.spf ? result.spf.status.result : 'none'}`;
  const dmarcResult = result.dmarc ? result.dmarc.status.result : 'none';
  const dmarc = `DMARC ${dmarcResult}`;
  const aligned = dkimPass.some((r) => r.status.aligned);
  const verified = dmarcResult === 'pass' || (dmarcResult === 'none' && aligned);
  const policy = result.dmarc ? (result.dmarc.policy || result.dmarc.p || '').toLowerCase() : '';
  const reject =
    dmarcResult === 'fail' && policy === 'reject'
      ? `the sender's domain ${result.dmarc ? result.dmarc.domain : ''} asks to refuse mail that fails its DMARC check`
      : undefined;
  return {
    verified,
    summary: [dkim, spf, dmarc].join(' · '),
    ...(reject ? { reject } : {}),
    header: result.headers ?? '',
  };
}

/** The line shown above the mail's text in Matrix. */
export const verdictLine = (v: AuthVerdict): string =>
  v.verified ? `✅ Sender verified: ${v.summary}` : `⚠️ Sender not verified: ${v.summary}`;
