import { describe, expect, it } from 'vitest';
import { newRoom, notedNick } from './muc-room.js';
import {
  forgetOccupantIds,
  occupantIdsKey,
  restoreOccupantIds,
  saveOccupantIds,
} from './occupant-ids.js';

const ROOM = 'dev@conference.example.org';

function store() {
  const data = new Map<string, unknown>();
  return {
    data,
    get: <T>(key: string) => Promise.resolve(data.get(key) as T | undefined),
    set: (key: string, value: unknown) => {
      data.set(key, value);
      return Promise.resolve();
    },
  };
}

describe('occupant-ids kept across a restart of the bridge', () => {
  it("a renamed occupant keeps their ghost after a restart, and the server's next rejoin forgets", async () => {
    const kv = store();
    const before = newRoom(ROOM);
    notedNick(before, 'Carol', 'id-carol');
    notedNick(before, 'Caroline', 'id-carol'); // renamed: still Carol's ghost
    await saveOccupantIds(kv, before);
    expect(kv.data.get(occupantIdsKey(ROOM))).toEqual({ 'id-carol': 'Carol' });

    const after = newRoom(ROOM); // the bridge started again
    await restoreOccupantIds(kv, after);
    forgetOccupantIds(kv, after); // its first join keeps them
    expect(notedNick(after, 'Caroline', 'id-carol')).toBe('Carol');
    // A newcomer under the old nick is not Carol's ghost.
    expect(notedNick(after, 'Carol', 'id-eve')).toBe('Carol [2]');

    forgetOccupantIds(kv, after); // the server was away: its room may be a new one
    expect(after.occupantIds.size).toBe(0);
    expect(notedNick(after, 'Caroline', 'id-new')).toBe('Caroline');
    clearTimeout(after.idsTimer);
  });
});
