// `irc login` / `irc logout` against real InspIRCd + Atheme (NickServ, SaslServ) and Synapse: an
// account registered with NickServ by a plain IRC client; alice logs in from her management room:
// the bot redacts her command (it held the password), answers, and IRC's WHOIS shows her puppet
// logged in. A wrong password gets a clear failure and is not kept. The kv holds the login sealed
// (no plaintext), a restarted bridge opens it and logs the puppet in again, and `irc logout`
// forgets it.
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { asUser, type RoomEvent } from '../support/bridge-harness.js';
import { command as botCommand, openManagementRoom } from '../support/management-room.js';
import { registerNickServAccount, whoisAccountOf } from '../support/irc-services.js';
import { defaultPuppetNick, ircUser, type IrcUser, startIrcBridge } from '../support/irc-user.js';
import {
  registerUser,
  requireSynapse,
  uniqueLocalpart,
  type TestUser,
} from '../support/synapse.js';

describe('IRC SASL logins (InspIRCd + Atheme + Synapse)', () => {
  const suffix = randomBytes(4).toString('hex');
  const channel = `#sasl${suffix}`;
  const account = `acct${suffix}`;
  const password = `pw-${randomBytes(9).toString('base64url')}`;
  let bridge: Switchboard;
  let alice: TestUser;
  let bob: IrcUser;
  let dm: string;
  /** Types a command; returns its event id and the bot's first notice after it. */
  const command = (text: string) => botCommand(alice, dm, text, 45_000);

  const whoisAccount = (nick: string) => whoisAccountOf(bob, nick);

  /** The bridge's stored logins of network `test`, as the kv holds them. */
  const storedLogins = async (): Promise<Record<string, string>> => {
    const raw = await bridge.store.kv.get('bridge:irc', 'accounts:test');
    return raw === undefined ? {} : (JSON.parse(raw) as Record<string, string>);
  };

  const isRedacted = async (eventId: string) => {
    const ev = await asUser<RoomEvent>(
      alice,
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(dm)}/event/${encodeURIComponent(eventId)}`,
    );
    return Object.keys(ev.content).length === 0 && ev.unsigned?.redacted_because !== undefined;
  };

  beforeAll(async () => {
    requireSynapse();
    await registerNickServAccount(account, password);
    bob = await ircUser(`Bob${suffix}`, channel);
    bridge = await startIrcBridge({ bot_nick: `sbs${suffix}` });
    alice = await registerUser(uniqueLocalpart('alice'));
    dm = await openManagementRoom(alice);
  });

  afterAll(async () => {
    bob?.client.quit('bye');
    await bridge?.stop();
  });

  it('`help` lists login and logout', async () => {
    const { answer } = await command('help');
    expect(answer).toContain('`irc login <network> <account> <password>`');
    expect(answer).toContain('`irc logout <network>`');
  });

  it('a wrong password gets a clear failure, the command is redacted and nothing is stored', async () => {
    const { eventId, answer } = await command(`irc login test ${account} not-${password}`);
    expect(answer).toBe(
      `Login to test as ${account} failed: SASL authentication failed. Your password was not saved. I redacted your message, since it held your password.`,
    );
    expect(await isRedacted(eventId)).toBe(true);
    expect(await storedLogins()).toEqual({});
    expect(await whoisAccount(defaultPuppetNick(alice.userId))).toBeNull();
  });

  it('`irc login` logs the puppet in (WHOIS shows the account), redacts the command and stores it sealed', async () => {
    const { eventId, answer } = await command(`irc login test ${account} ${password}`);
    expect(answer).toBe(
      `Logged in to test as ${account} (SASL). Your connections log in with it from now on. I redacted your message, since it held your password.`,
    );
    expect(await isRedacted(eventId)).toBe(true);
    expect(await whoisAccount(defaultPuppetNick(alice.userId))).toBe(account);
    const stored = await storedLogins();
    expect(Object.keys(stored)).toEqual([alice.userId]);
    expect(stored[alice.userId]).toMatch(/^v1\./);
    const raw = JSON.stringify(stored);
    expect(raw).not.toContain(password);
    expect(raw).not.toContain(account);
    // Nor does the inbox, where the command's event was stored before it ran.
    const db = new Database(bridge.config.database, { readonly: true });
    try {
      const inbox = db.prepare('SELECT json FROM inbox WHERE event_id = ?').get(eventId);
      expect(inbox).toEqual({ json: expect.stringContaining(eventId) });
      expect(JSON.stringify(inbox)).not.toContain(password);
    } finally {
      db.close();
    }
  });

  it('a restarted bridge opens the stored login: the next connection logs in again', async () => {
    const database = bridge.config.database;
    await bridge.stop();
    bridge = await startIrcBridge({ bot_nick: `sbs${suffix}` }, undefined, { database });
    const { answer } = await command('irc reconnect test');
    const nick = /^Connected to test as (\S+)\.$/.exec(answer)?.[1];
    expect(nick, answer).toBeDefined();
    expect(await whoisAccount(nick!)).toBe(account);
  });

  it('`irc logout` forgets the login and reconnects without it', async () => {
    const { answer } = await command('irc logout test');
    expect(answer).toBe(
      'Logged out of test: your password is forgotten and your connection reconnected without it.',
    );
    expect(await storedLogins()).toEqual({});
    const { answer: again } = await command('irc reconnect test');
    const nick = /^Connected to test as (\S+)\.$/.exec(again)?.[1];
    expect(nick, again).toBeDefined();
    expect(await whoisAccount(nick!)).toBeNull();
    expect((await command('irc logout test')).answer).toBe('You are not logged in on test.');
  });
});
