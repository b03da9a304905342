/** The fake's guild routes: members, kicks and bans. */
import type { Route, RouteHelpers } from './rest-shared.js';

export function guildRoutes(r: RouteHelpers): Route[] {
  const s = r.state;
  const { error } = r;
  return [
    [
      'DELETE',
      /^\/guilds\/(\d+)\/members\/(\d+)$/,
      'kick',
      (m) => {
        const member = m[1] === s.guildId ? s.members.get(m[2]!) : undefined;
        if (!member) return error(404, 10007, 'Unknown Member');
        s.members.delete(m[2]!);
        r.dispatch('GUILD_MEMBER_REMOVE', { guild_id: s.guildId, user: member.user });
        return [204, undefined];
      },
      true,
    ],
    [
      'PUT',
      /^\/guilds\/(\d+)\/bans\/(\d+)$/,
      'ban',
      (m) => {
        if (m[1] !== s.guildId) return error(404, 10004, 'Unknown Guild');
        const member = s.members.get(m[2]!);
        if (!member) return error(404, 10013, 'Unknown User');
        s.bans.add(m[2]!);
        s.members.delete(m[2]!);
        r.dispatch('GUILD_BAN_ADD', { guild_id: s.guildId, user: member.user });
        return [204, undefined];
      },
      true,
    ],
    [
      'DELETE',
      /^\/guilds\/(\d+)\/bans\/(\d+)$/,
      'ban',
      (m) => {
        if (m[1] !== s.guildId || !s.bans.delete(m[2]!)) return error(404, 10026, 'Unknown Ban');
        return [204, undefined];
      },
      true,
    ],
    [
      'GET',
      /^\/guilds\/(\d+)\/members\/(\d+)$/,
      'member',
      (m) => {
        if (m[1] !== s.guildId) return error(404, 10004, 'Unknown Guild');
        const member = s.members.get(m[2]!);
        return member ? [200, s.apiMember(member)] : error(404, 10007, 'Unknown Member');
      },
      true,
    ],
  ];
}
