/**
 * `sip call <number or address>` in the management room: opens (or finds again) the user's direct
 * chat with that party's ghost, where the client's call button calls it and texts go to it, for
 * users who would rather not type a ghost's Matrix id (`@sip_=2b15551234567:domain`). The dial
 * plan decides, as for a DM the user opens: a refused destination gets no room.
 */
import type { Command, MatrixUserId, PortalKey, RemoteUserId } from '../../../src/connector.js';
import { reachableParty, type PartyRefusal } from './reachable-party.js';

export interface CallCommandDeps extends PartyRefusal {
  /** The DM of `user` with `party`, made and `user` invited when new. */
  dm(user: MatrixUserId, party: RemoteUserId): Promise<PortalKey>;
}

export function callCommand(deps: () => CallCommandDeps | undefined): Command {
  const usage = 'call <number or SIP address>';
  return {
    name: 'call',
    usage,
    help: 'open your direct chat with a phone number or SIP address (call or text it from there)',
    async run(ctx) {
      const text = ctx.args.join(' ');
      if (!text) return ctx.reply(`Usage: \`sip ${usage}\`, e.g. \`sip call +1 555 123 4567\`.`);
      const reachable = await reachableParty(ctx, text, deps);
      if (!reachable) return;
      const { party, d } = reachable;
      await d.dm(ctx.sender, party);
      return ctx.reply(
        `Your direct chat with ${party} is ready (I invited you if you were not in it): call or text ${party} from there.`,
      );
    },
  };
}
