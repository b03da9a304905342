// The echo round trip through real Synapse with PostgreSQL as the store, in a schema of its own
// (other test files may use the `test` database at the same time), and again after a restart.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Switchboard } from '../../src/core/switchboard.js';
import { roomEvents, startBridge, joinAlias, sendText } from '../support/bridge-harness.js';
import {
  registerUser,
  requirePostgres,
  requireSynapse,
  uniqueLocalpart,
  waitFor,
  type TestUser,
} from '../support/synapse.js';

const ECHO_GHOST = '@echo_echo:localhost';
const unique = () => randomBytes(6).toString('hex');

async function adminQuery<R extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

describe('echo round trip with PostgreSQL', () => {
  const schema = `sb_it_${process.pid}_${unique()}`;
  let baseUrl: string;
  let database: string;
  let schemaCreated = false;
  let bridge: Switchboard | undefined;
  let alice: TestUser;
  let roomId: string;

  const send = (body: string) => sendText(alice, roomId, body);
  const echoesOf = async (body: string) =>
    (await roomEvents(alice, roomId)).filter(
      (e) => e.sender === ECHO_GHOST && e.type === 'm.room.message' && e.content.body === body,
    );
  /** Waits for the echo of alice's `body` (sent as `eventId`): one message from the echo ghost, replying to hers. */
  const echoOf = async (body: string, eventId: string) => {
    const echo = await waitFor(
      async () => (await echoesOf(body))[0],
      20_000,
      `the echo of "${body}"`,
    );
    expect(
      (echo.content['m.relates_to'] as { 'm.in_reply_to'?: { event_id?: string } } | undefined)?.[
        'm.in_reply_to'
      ]?.event_id,
    ).toBe(eventId);
    return echo;
  };

  beforeAll(async () => {
    requireSynapse();
    baseUrl = requirePostgres();
    await adminQuery(baseUrl, `create schema ${schema}`);
    schemaCreated = true;
    const url = new URL(baseUrl);
    url.searchParams.set('options', `-c search_path=${schema}`);
    database = url.toString();
    bridge = await startBridge({ database });
    alice = await registerUser(uniqueLocalpart('alice'));
    const alias = `#echo_${uniqueLocalpart('pg').replace('_', '-')}:localhost`;
    roomId = await joinAlias(alice, alias);
  });

  afterAll(async () => {
    await bridge?.stop();
    if (schemaCreated) await adminQuery(baseUrl, `drop schema if exists ${schema} cascade`);
  });

  it('keeps its state in PostgreSQL, in its own schema', async () => {
    expect(bridge?.store.dialect).toBe('postgres');
    const portals = await adminQuery<{ room_id: string }>(
      baseUrl,
      `select room_id from ${schema}.portals where bridge = 'echo'`,
    );
    expect(portals.map((p) => p.room_id)).toContain(roomId);
  });

  it('echoes a message, and records it in the PostgreSQL inbox', async () => {
    const body = `hello postgres ${unique()}`;
    const eventId = await send(body);
    await echoOf(body, eventId);
    const rows = await waitFor(
      async () => {
        const found = await adminQuery<{ state: string }>(
          baseUrl,
          `select state from ${schema}.inbox where event_id = $1`,
          [eventId],
        );
        return found[0]?.state === 'done' ? found : undefined;
      },
      10_000,
      'the inbox row to be done',
    );
    expect(rows).toHaveLength(1);
  });

  it('finds the portal again after a restart and echoes once', async () => {
    await bridge?.stop();
    bridge = undefined;
    bridge = await startBridge({ database });
    const body = `after restart ${unique()}`;
    const eventId = await send(body);
    await echoOf(body, eventId);
    expect(await echoesOf(body)).toHaveLength(1);
    // The restart made no second room for the same portal.
    const portals = await adminQuery<{ room_id: string }>(
      baseUrl,
      `select room_id from ${schema}.portals where bridge = 'echo'`,
    );
    expect(portals).toEqual([{ room_id: roomId }]);
  });
});
