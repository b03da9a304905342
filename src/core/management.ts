/**
 * The management room: a direct chat with the bridge bot where users type
 * commands. Core's commands and each bridge's (`<bridge> <command> …`) are data.
 */
import type { Logger } from 'pino';
import type { Command, MatrixUserId } from '../connector.js';
import type { MatrixClient } from '../matrix/client.js';
import type { ClientEvent } from '../matrix/events.js';
import type { KeyValue } from '../store/store.js';
import type { BridgeRuntime } from './bridge-runtime.js';

const KV = 'core';
const key = (roomId: string) => `management:${roomId}`;

export class Management {
  private readonly known = new Map<string, boolean>();
  private coreCommands: Command[] = [];
  private replies = 0;

  constructor(
    private readonly kv: KeyValue,
    private readonly client: MatrixClient,
    private readonly runtimes: Map<string, BridgeRuntime>,
    private readonly admins: Set<string>,
    private readonly log: Logger,
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
    const isAdmin = this.admins.has(ev.sender);
    if (command.requiresAdmin && !isAdmin) {
      await reply(`\`${command.name}\` is for bridge admins only.`);
      return;
    }
    try {
      await command.run({ sender: ev.sender as MatrixUserId, args, isAdmin, reply });
    } catch (err) {
      this.log.warn({ err, command: command.name, roomId: ev.room_id }, 'command failed');
      await reply(`\`${command.name}\` failed: ${(err as Error).message}`);
    }
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
