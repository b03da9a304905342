/**
 * Kicks and bans. With `moderation` on, a Matrix moderator who kicks or bans a Discord user's
 * ghost kicks or bans them from the guild (the bot needs Kick/Ban Members; Discord's refusal is
 * the moderator's notice), and an unban lifts the guild ban; the audit log names the Matrix user.
 * A ban on Discord bans the ghost from the rooms of that guild's bridged channels (always: it is
 * the guild's decision). A member leaving the guild (with `members_intent`) makes their ghost
 * leave the rooms it is in.
 */
import { Routes, type REST } from 'discord.js';
import type { MatrixMembership, RemoteEvent, RemoteUserId } from '../../../src/connector.js';
import { toBridgeError } from '../connection/errors.js';
import { makePortalKey, parsePortalKey, parseRemoteUser } from '../ids.js';

export interface ModerationDeps {
  rest(): REST;
  /** `moderation` in the config. */
  enabled: boolean;
  ghostRemoteId(userId: string): string | undefined;
  guildOf(channelId: string): string | undefined;
}

export async function handleMatrixMembership(
  deps: ModerationDeps,
  change: MatrixMembership,
): Promise<void> {
  if (!deps.enabled || change.sender.viaBridge) return;
  if (change.membership !== 'kick' && change.membership !== 'ban' && change.membership !== 'unban')
    return;
  const channelId = parsePortalKey(change.portal);
  const user = parseRemoteUser(deps.ghostRemoteId(change.target) ?? '');
  const guild = channelId && deps.guildOf(channelId);
  if (!user || !guild) return;
  const reason = `${change.sender.displayName} (${change.sender.userId}) on Matrix${
    change.reason ? `: ${change.reason}` : ''
  }`.slice(0, 512);
  try {
    if (change.membership === 'kick')
      await deps.rest().delete(Routes.guildMember(guild, user), { reason });
    else if (change.membership === 'ban')
      await deps
        .rest()
        .put(Routes.guildBan(guild, user), { body: { delete_message_seconds: 0 }, reason });
    else await deps.rest().delete(Routes.guildBan(guild, user), { reason });
  } catch (err) {
    throw toBridgeError(err, `the ${change.membership}`);
  }
}

/** A guild ban: the user's ghost is banned from the rooms of the guild's bridged channels. */
export function banEvents(
  user: RemoteUserId,
  bridgedChannels: string[],
  reason: string | undefined,
): RemoteEvent[] {
  return bridgedChannels.map((channelId) => ({
    kind: 'membership',
    membership: 'ban',
    portal: makePortalKey(channelId),
    sender: user,
    reason: reason ? `Banned on Discord: ${reason}` : 'Banned on Discord',
  }));
}

/** A member left the guild: their ghost leaves the rooms (of the guild's channels) it is in. */
export function leaveEvents(user: RemoteUserId, channelIds: string[]): RemoteEvent[] {
  return channelIds.map((id) => ({
    kind: 'membership',
    portal: makePortalKey(id),
    sender: user,
    membership: 'leave',
  }));
}
