/**
 * The channels one connection should be in (lowercased, with their keys: rejoined after a
 * reconnect) and those the server says it is in now (its own JOIN, PART and KICK).
 */
import type { Client } from 'irc-framework';
import { joinLine } from './lines.js';

export class ConnectionChannels {
  private readonly wanted = new Map<string, string | undefined>();
  private readonly joined = new Set<string>();

  /** Follows the connection's own JOIN, PART and KICK lines. */
  follow(client: Client, isMe: (nick: string) => boolean): void {
    client.on('join', (e: { nick: string; channel: string }) => {
      if (isMe(e.nick)) this.joined.add(e.channel.toLowerCase());
    });
    const left = (channel: string) => this.joined.delete(channel.toLowerCase());
    client.on('part', (e: { nick: string; channel: string }) => isMe(e.nick) && left(e.channel));
    client.on(
      'kick',
      (e: { kicked: string; channel: string }) => isMe(e.kicked) && left(e.channel),
    );
  }

  /** `channel` is wanted, with `key` or the key known before; true when it was not wanted yet. */
  want(channel: string, key?: string): boolean {
    const lower = channel.toLowerCase();
    const known = this.wanted.has(lower);
    this.wanted.set(lower, key ?? this.wanted.get(lower));
    return !known;
  }

  /** `channel` is no longer wanted; true when it was. */
  unwant(channel: string): boolean {
    return this.wanted.delete(channel.toLowerCase());
  }

  /** The JOIN line for a wanted channel, with its key. */
  joinLine(channel: string): string {
    const lower = channel.toLowerCase();
    return joinLine(lower, this.wanted.get(lower));
  }

  /** The JOIN lines of every wanted channel (after registering). */
  rejoinLines(): string[] {
    return [...this.wanted].map(([channel, key]) => joinLine(channel, key));
  }

  wantedList(): string[] {
    return [...this.wanted.keys()];
  }

  isIn(channel: string): boolean {
    return this.joined.has(channel.toLowerCase());
  }

  /** The connection closed: it is in no channel now (the wanted ones stay). */
  closed(): void {
    this.joined.clear();
  }
}
