// The puppet roster (without the pool): what the network's puppets are is written after a change
// (and at stop), and at start every remembered puppet is connected again and rejoins its channels.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { KeyValueStore } from '../../../src/connector.js';
import type { IrcNetwork } from './client.js';
import { PuppetRoster, rosterKey } from './roster.js';

function memoryKv(): KeyValueStore & { data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  return {
    data,
    get: <T>(key: string) => Promise.resolve(data.get(key) as T | undefined),
    set: (key, value) => (data.set(key, value), Promise.resolve()),
    delete: (key) => (data.delete(key), Promise.resolve()),
  };
}

/** The parts of IrcNetwork the roster uses. */
function fakeNetwork(mode: 'puppets' | 'relay' = 'puppets') {
  const puppets = new Map<string, { displayName: string; channels: string[] }>();
  const joins: string[] = [];
  const network = {
    id: 'net',
    config: { mode },
    onPuppetsChanged: undefined as (() => void) | undefined,
    puppets,
    joins,
    puppetFor(userId: string, displayName: string) {
      const entry = puppets.get(userId) ?? { displayName, channels: [] };
      puppets.set(userId, entry);
      return {
        join: (channel: string) => {
          joins.push(`${userId} ${channel}`);
          entry.channels.push(channel);
          return Promise.resolve();
        },
      };
    },
    *puppetEntries() {
      for (const [userId, e] of puppets) yield { userId, ...e };
    },
  };
  return network;
}

const log = pino({ level: 'silent' });

describe('PuppetRoster', () => {
  it('writes the puppets and their channels after a change, and at stop', async () => {
    const kv = memoryKv();
    const network = fakeNetwork();
    const roster = new PuppetRoster(network as unknown as IrcNetwork, kv, log);
    roster.watch();
    network.puppets.set('@a:hs', { displayName: 'Alice', channels: ['#one'] });
    network.onPuppetsChanged!();
    expect(kv.data.get(rosterKey('net'))).toBeUndefined(); // a moment later, not at once
    await roster.flush();
    expect(kv.data.get(rosterKey('net'))).toEqual({
      '@a:hs': { displayName: 'Alice', channels: ['#one'] },
    });
    network.puppets.delete('@a:hs');
    network.onPuppetsChanged!();
    await new Promise((r) => setTimeout(r, 1_100));
    expect(kv.data.get(rosterKey('net'))).toEqual({});
  });

  it('connects every remembered puppet at start and rejoins its channels', async () => {
    const kv = memoryKv();
    await kv.set(rosterKey('net'), {
      '@a:hs': { displayName: 'Alice', channels: ['#one', '#two'] },
      '@b:hs': { displayName: 'Bob', channels: [] },
    });
    const network = fakeNetwork();
    const roster = new PuppetRoster(network as unknown as IrcNetwork, kv, log);
    expect(await roster.restore()).toBe(2);
    expect([...network.puppets.keys()]).toEqual(['@a:hs', '@b:hs']);
    expect(network.puppets.get('@a:hs')!.displayName).toBe('Alice');
    expect(network.joins).toEqual(['@a:hs #one', '@a:hs #two']);
  });

  it('connects nobody on a network in relay mode', async () => {
    const kv = memoryKv();
    await kv.set(rosterKey('net'), { '@a:hs': { displayName: 'Alice', channels: ['#one'] } });
    const network = fakeNetwork('relay');
    expect(await new PuppetRoster(network as unknown as IrcNetwork, kv, log).restore()).toBe(0);
    expect(network.puppets.size).toBe(0);
  });
});
