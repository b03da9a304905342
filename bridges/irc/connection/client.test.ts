// IrcNetwork's puppet limit, against a port where nothing listens (every connection stays down,
// so a message written through a puppet keeps it busy).
import net, { type AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { MatrixUserId } from '../../../src/connector.js';
import { IrcNetwork } from './client.js';
import { networkSchema } from '../config.js';

const networks: IrcNetwork[] = [];
afterEach(() => networks.splice(0).forEach((n) => n.stop()));

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function network(extra: Record<string, unknown>): Promise<IrcNetwork> {
  const config = networkSchema.parse({
    host: '127.0.0.1',
    port: await closedPort(),
    tls: false,
    ...extra,
  });
  const n = new IrcNetwork('test', config, pino({ level: 'silent' }));
  networks.push(n);
  return n;
}

const user = (name: string) => `@${name}:hs` as MatrixUserId;

describe('IrcNetwork max_puppets', () => {
  it('makes room by disconnecting the idle-most puppet that has nothing waiting', async () => {
    const n = await network({ max_puppets: 2 });
    const alice = n.puppetFor(user('alice'), 'alice');
    alice.lastActive -= 60_000;
    const bob = n.puppetFor(user('bob'), 'bob');
    bob.lastActive -= 120_000; // idle the longest, but a message waits for it
    const waiting = bob.writeLines(['PRIVMSG #a :hi']);
    n.puppetFor(user('carol'), 'carol');
    expect(n.puppet(user('alice'))).toBeUndefined();
    expect(n.puppet(user('bob'))).toBe(bob);
    expect(n.puppetCount).toBe(2);
    n.stop();
    await expect(waiting).rejects.toMatchObject({ retriable: true });
  });

  it('refuses a new user (not retriable) when every puppet has messages waiting', async () => {
    const n = await network({ max_puppets: 1 });
    const alice = n.puppetFor(user('alice'), 'alice');
    const waiting = alice.writeLines(['PRIVMSG #a :hi']);
    expect(() => n.puppetFor(user('bob'), 'bob')).toThrow(
      expect.objectContaining({
        code: 'rejected',
        retriable: false,
        userMessage: expect.stringContaining('connection limit on the IRC network test (1)'),
      }),
    );
    expect(n.puppet(user('alice'))).toBe(alice);
    n.stop();
    await expect(waiting).rejects.toMatchObject({ retriable: true });
  });

  it('has no limit by default', async () => {
    const n = await network({});
    for (let i = 0; i < 20; i++) n.puppetFor(user(`u${i}`), `u${i}`);
    expect(n.puppetCount).toBe(20);
  });
});
