import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { GroupCommit } from './group-commit.js';
import { createMessageMap, MappingStatements, PendingMappings } from './message-map.js';
import { createOutbox } from './outbox.js';
import type { Database } from './schema.js';

const mapping = {
  bridge: 'irc',
  portalKey: '#rust',
  remoteId: 'r1',
  roomId: '!r:hs',
  eventId: '$e1',
};

/** A database that is never reached: every lookup here must be answered from memory. */
const unreachable = new Proxy({} as Kysely<Database>, {
  get: () => {
    throw new Error('the database was asked');
  },
});

describe('mappings of sends still committing', () => {
  it('are found at once, by remote id and by event, and let go once the commit settles', async () => {
    let commit!: () => void;
    const slowDisk = new Promise<void>((resolve) => (commit = resolve));
    const writes = { run: () => slowDisk, runLazily: () => slowDisk } as unknown as GroupCommit;
    const pending = new PendingMappings();
    const outbox = createOutbox(unreachable, writes, pending, new MappingStatements());
    const messages = createMessageMap(unreachable, writes, pending, new MappingStatements());

    const committed = outbox.complete(7, mapping);
    expect(await messages.byRemote('irc', '#rust', 'r1')).toEqual(mapping);
    // By event the database is asked too (a smaller remote id of the event may be there).
    expect(pending.byEvent('irc', '$e1')).toEqual(mapping);
    expect(pending.byRemote('irc', '#other', 'r1')).toBeUndefined();
    expect(pending.byEvent('xmpp', '$e1')).toBeUndefined();

    commit();
    await committed;
    expect(pending.byRemote('irc', '#rust', 'r1')).toBeUndefined();
    expect(pending.byEvent('irc', '$e1')).toBeUndefined();
  });

  it('are let go when the commit fails too (the database then answers)', async () => {
    const fail = () => Promise.reject(new Error('disk full'));
    const writes = { run: fail, runLazily: fail } as unknown as GroupCommit;
    const pending = new PendingMappings();
    const outbox = createOutbox(unreachable, writes, pending, new MappingStatements());
    await expect(outbox.complete(7, mapping)).rejects.toThrow('disk full');
    expect(pending.byRemote('irc', '#rust', 'r1')).toBeUndefined();
  });
});
