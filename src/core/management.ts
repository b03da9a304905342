/**
 * The management room: a direct chat with the bridge bot where users type
 * commands. Core's commands and each bridge's (`<bridge> <command> …`) are data.
 */
import type { Logger } from 'pino';
import type { Command, MatrixUserId } from '../connector.js';
import type { MatrixClient } from '../matrix/client.js';
import type { ClientEvent } from '../matrix/events.js';
import type { Inbox, KeyValue } from '../store/store.js';
import type { BridgeRuntime } from './bridge-runtime.js';

const KV = 'core';
const key = (roomId: string) => `management:${roomId}`;
/** A user's management room, for telling them things they did not ask (their puppet was kicked). */
const roomOf = (userId: string) => `management-of:${userId}`;

export class Management {
  private readonly known = new Map<string, boolean>();
  private coreCommands: Command[] = [];
  private replies = 0;
  /** Users whose management room is recorded for `notify` in this process. */
  private readonly noted = new Set<string>();

  constructor(
    private readonly kv: KeyValue,
    private readonly client: MatrixClient,
    private readonly runtimes: Map<string, BridgeRuntime>,
    private readonly admins: Set<string>,
    private readonly log: Logger,
    /** Where the command's event is stored until pruned: a redacted command is scrubbed there too. */
    private readonly inbox: Pick<Inbox, 'scrub'>,
  ) {}

  setCoreCommands(commands: Command[]): void {
    this.coreCommands = commands;
  }

  async isManagementRoom(roomId: string): Promise<boolean> {
    let known = this.known.get(roomId);
    if (known === undefined) {
      known = (await this.kv.get(KV, key(roomId))) !== undefined;
      this.known.set(roomId, known);
    }
    return known;
  }

  /** The bot accepts invites; a direct chat with it becomes that user's management room. */
  async acceptInvite(ev: ClientEvent): Promise<void> {
    await this.client.join(ev.room_id);
    if ((ev.content as { is_direct?: unknown }).is_direct !== true) return; // an ordinary room: perhaps to `link` it
    await this.kv.set(KV, key(ev.room_id), ev.sender);
    await this.kv.set(KV, roomOf(ev.sender), ev.room_id);
    this.known.set(ev.room_id, true);
    await this.reply(ev.room_id, 'Hello! I am the bridge bot. Type `help` to see what I can do.');
  }

  async run(ev: ClientEvent): Promise<void> {
    const body = (ev.content as { body?: unknown }).body;
    if (typeof body !== 'string' || !body.trim()) return;
    const args = body.trim().replace(/^!/, '').split(/\s+/);
    const first = args.shift()!.toLowerCase();
    const runtime = this.runtimes.get(first);
    const commands = runtime ? (runtime.connector.commands?.() ?? []) : this.coreCommands;
    const name = runtime ? args.shift()?.toLowerCase() : first;
    const command = commands.find((c) => c.name === name);
    const reply = (text: string) => this.reply(ev.room_id, text);
    if (!command) {
      const scope = runtime ? `${runtime.id} ` : '';
      await reply(`Unknown command \`${scope}${name ?? ''}\`. Type \`help\` for the list.`);
      return;
    }
    if (!this.noted.has(ev.sender)) {
      // Rooms made before `notify` existed learn their owner here.
      await this.kv.set(KV, roomOf(ev.sender), ev.room_id);
      this.noted.add(ev.sender);
    }
    const isAdmin = this.admins.has(ev.sender);
    if (command.requiresAdmin && !isAdmin) {
      await reply(`\`${command.name}\` is for bridge admins only.`);
      return;
    }
    // A command carrying a secret redacts its own event (the bot needs the power to redact there).
    const redactCommand = async (reason: string) => {
      await this.client.redact(
        ev.room_id,
        ev.event_id,
        `sb.redact.${Date.now()}.${++this.replies}`,
        reason,
      );
      await this.inbox.scrub(ev.event_id);
    };
    try {
      await command.run({ sender: ev.sender as MatrixUserId, args, isAdmin, reply, redactCommand });
    } catch (err) {
      this.log.warn({ err, command: command.name, roomId: ev.room_id }, 'command failed');
      await reply(`\`${command.name}\` failed: ${(err as Error).message}`);
    }
  }

  /** Tells `userId` something in their management room; false when they have none. */
  async notify(userId: string, text: string): Promise<boolean> {
    const roomId = await this.kv.get(KV, roomOf(userId));
    if (roomId === undefined) return false;
    await this.reply(roomId, text);
    return true;
  }

  reply(roomId: string, text: string): Promise<string> {
    const txnId = `sb.cmd.${Date.now()}.${++this.replies}`;
    return this.client.sendEvent(
      roomId,
      'm.room.message',
      { msgtype: 'm.notice', body: text },
      txnId,
    );
  }

  /** Help for core commands and each bridge's, generated from the declarations. */
  help(): string {
    const lines = this.coreCommands.map((c) => `- \`${c.usage ?? c.name}\`: ${c.help}`);
    for (const runtime of this.runtimes.values()) {
      for (const c of runtime.connector.commands?.() ?? [])
        lines.push(`- \`${runtime.id} ${c.usage ?? c.name}\`: ${c.help}`);
    }
    return `Commands:\n${lines.join('\n')}`;
  }
}
