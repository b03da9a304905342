/** What the demo prints once everything runs: how to join from Matrix and from each network. */
import type { DemoUser } from './homeserver.js';
import type { DemoPeer, DemoPeerContext } from './peers.js';

const row = (label: string, value: string) => `  ${label.padEnd(11)} ${value}`;

export function banner(
  ctx: DemoPeerContext,
  peers: DemoPeer[],
  homeserverUrl: string,
  user: DemoUser,
  pids: Record<string, number>,
): string {
  const server = ctx.opts.serverName;
  const rooms = peers.flatMap((p) =>
    p.rooms(ctx).map((r) => ({ alias: `#${p.bridge}_${r.aliasLocalpart}:${server}`, ...r })),
  );
  const lines = [
    '',
    '================ Switchboard demo: running ================',
    'From any Matrix client (Element: "Sign in", edit the homeserver):',
    row('homeserver', homeserverUrl),
    row('user', user.userId),
    row('password', user.password),
    ...rooms.map((r, i) => row(i === 0 ? 'rooms' : '', `${r.alias}   (${r.about})`)),
    row('bot', `@switchboard:${server}   (start a direct chat, type "help")`),
  ];
  for (const p of peers) {
    const outside = p.outside(ctx);
    if (!outside.length) continue;
    lines.push(`${p.outsideTitle ?? `From the ${p.bridge} network`}:`);
    lines.push(...outside.map(([label, value]) => row(label, value)));
  }
  const started = Object.entries(pids).map(([name, pid]) => `${name} ${pid}`);
  lines.push(
    `Started (PIDs): ${started.join(', ')}. State and logs: ${ctx.opts.dir}`,
    'Every run starts afresh (new rooms, a new password). Ctrl-C stops everything.',
    '============================================================',
    '',
  );
  return lines.join('\n');
}
