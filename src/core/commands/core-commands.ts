/** Core's own bot commands: help, bridges, portals, link, unlink, health, retry, status. */
import type { Command } from '../../connector.js';
import type { Inbox } from '../../store/store.js';
import type { BridgeRuntime } from '../bridge-runtime.js';
import type { PortalLinks } from '../portal-links.js';

export interface CoreCommandDeps {
  runtimes: Map<string, BridgeRuntime>;
  links: PortalLinks;
  inbox: Inbox;
  help(): string;
  retry(eventId: string): Promise<boolean>;
  /** A signed link to the status page for `userId`; undefined when the page is off. */
  statusLink?(userId: string): { url: string; minutes: number } | undefined;
}

export function coreCommands(deps: CoreCommandDeps): Command[] {
  const bridge = (id: string | undefined) => {
    const runtime = id ? deps.runtimes.get(id) : undefined;
    if (!runtime)
      throw new Error(
        `no bridge \`${id ?? ''}\`; enabled: ${[...deps.runtimes.keys()].join(', ')}`,
      );
    return runtime;
  };
  return [
    { name: 'help', help: 'this list', run: (ctx) => ctx.reply(deps.help()) },
    {
      name: 'bridges',
      help: 'the enabled bridges and their state',
      run: (ctx) =>
        ctx.reply(
          [...deps.runtimes.values()]
            .map(
              (r) =>
                `- ${r.id} (${r.connector.displayName}): ${r.state}${r.stateReason ? ` (${r.stateReason})` : ''}`,
            )
            .join('\n') || 'No bridges are enabled.',
        ),
    },
    {
      name: 'portals',
      usage: 'portals [bridge]',
      help: 'the rooms linked to remote chats (admins)',
      requiresAdmin: true,
      run: async (ctx) => {
        const rows = await deps.links.list(ctx.args[0]);
        await ctx.reply(
          rows.map((p) => `- ${p.bridge} ${p.portalKey} → ${p.roomId}`).join('\n') || 'No portals.',
        );
      },
    },
    {
      name: 'link',
      usage: 'link <bridge> <remote-id> <room-id>',
      help: 'link a Matrix room to a remote chat (invite me to the room first)',
      run: async (ctx) => {
        const [id, remote, roomId] = ctx.args;
        if (!remote || !roomId) return ctx.reply('Usage: `link <bridge> <remote-id> <room-id>`');
        await deps.links.link(bridge(id), remote, roomId, {
          user: ctx.sender,
          isAdmin: ctx.isAdmin,
        });
        await ctx.reply(`Linked ${roomId} to ${id} ${remote}.`);
      },
    },
    {
      name: 'unlink',
      usage: 'unlink <bridge> <remote-id>',
      help: 'remove the link between a room and a remote chat',
      run: async (ctx) => {
        const [id, remote] = ctx.args;
        if (!remote) return ctx.reply('Usage: `unlink <bridge> <remote-id>`');
        const row = await deps.links.unlink(bridge(id), remote, ctx.sender, ctx.isAdmin);
        await ctx.reply(
          row ? `Unlinked ${row.roomId} from ${id} ${remote}.` : `${id} ${remote} was not linked.`,
        );
      },
    },
    {
      name: 'health',
      usage: 'health <room-id>',
      help: 'last delivery success and failure in a room (admins)',
      requiresAdmin: true,
      run: async (ctx) => {
        const roomId = ctx.args[0];
        if (!roomId) return ctx.reply('Usage: `health <room-id>`');
        const h = await deps.inbox.health(roomId);
        const when = (ms?: number) => (ms ? new Date(ms).toISOString() : 'never');
        const why = h.lastFailureReason ? ` (${h.lastFailureReason})` : '';
        await ctx.reply(
          `Last success: ${when(h.lastSuccess)}\nLast failure: ${when(h.lastFailure)}${why}`,
        );
      },
    },
    {
      name: 'retry',
      usage: 'retry <event-id>',
      help: 'send a failed message again (admins; anyone in the room can react 🔁 to the failure notice)',
      requiresAdmin: true,
      run: async (ctx) => {
        const eventId = ctx.args[0];
        if (!eventId) return ctx.reply('Usage: `retry <event-id>`');
        await ctx.reply(
          (await deps.retry(eventId))
            ? `Retrying ${eventId}.`
            : `${eventId} is not a failed event.`,
        );
      },
    },
    {
      name: 'status',
      help: 'a link to the status page: bridges, connections, traffic, failures (admins; the link opens once and expires)',
      requiresAdmin: true,
      run: async (ctx) => {
        const link = deps.statusLink?.(ctx.sender);
        await ctx.reply(
          link
            ? `Status page (the link opens once, within ${link.minutes} min): ${link.url}`
            : 'The status page is off (status_page.enabled in the config).',
        );
      },
    },
  ];
}
