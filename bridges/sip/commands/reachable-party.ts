/** What `sip call` and `sip link` both ask of what the user typed: a party the dial plan allows. */
import type { CommandContext, MatrixUserId, RemoteUserId } from '../../../src/connector.js';
import { partyFromInput } from '../ids.js';

export interface PartyRefusal {
  /** Why `user` may not reach `party` (undefined: allowed). */
  refusal(user: MatrixUserId, party: RemoteUserId): string | undefined;
}

/**
 * The party `text` names and the running bridge's parts, when `text` is a number or SIP address
 * the sender may reach; otherwise the sender has been told why, and this is undefined.
 */
export async function reachableParty<D extends PartyRefusal>(
  ctx: CommandContext,
  text: string,
  deps: () => D | undefined,
): Promise<{ party: RemoteUserId; d: D } | undefined> {
  const party = partyFromInput(text);
  if (!party) {
    await ctx.reply(
      'That is not a phone number in international form (+ and country code) or a SIP address (user@host).',
    );
    return undefined;
  }
  const d = deps();
  if (!d) {
    await ctx.reply('The SIP bridge is not running.');
    return undefined;
  }
  const refusal = d.refusal(ctx.sender, party);
  if (refusal) {
    await ctx.reply(`Cannot reach ${party}: ${refusal}.`);
    return undefined;
  }
  return { party, d };
}
