import { describe, expect, it } from 'vitest';
import type { MatrixClient } from '../matrix/client.js';
import { MemberNames } from './member-names.js';

const client = (
  state: Record<string, unknown> | undefined,
  joined: Record<string, { display_name?: string }> = {},
  calls = { state: 0, joined: 0 },
) =>
  ({
    getState: async () => (calls.state++, state),
    joinedMembers: async () => (calls.joined++, joined),
  }) as unknown as MatrixClient;

describe('MemberNames', () => {
  it('keeps the display name and avatar a member event gives', async () => {
    const members = new MemberNames(client(undefined));
    members.note('!r:x', '@a:x', 'Alice', 'mxc://x/abc');
    expect(await members.profile('!r:x', '@a:x')).toEqual({
      displayName: 'Alice',
      avatarUrl: 'mxc://x/abc',
    });
    expect(await members.get('!r:x', '@a:x')).toBe('Alice');
  });

  it('ignores an avatar that is no mxc URL, and names a member without a name by localpart', async () => {
    const members = new MemberNames(client(undefined));
    members.note('!r:x', '@bob:x', '', 'https://evil.example/x.png');
    expect(await members.profile('!r:x', '@bob:x')).toEqual({ displayName: 'bob' });
  });

  it('asks the homeserver for a member it has not seen', async () => {
    const members = new MemberNames(
      client({ membership: 'join', displayname: 'Carol', avatar_url: 'mxc://x/c' }),
    );
    expect(await members.profile('!r:x', '@c:x')).toEqual({
      displayName: 'Carol',
      avatarUrl: 'mxc://x/c',
    });
  });

  it('learns a whole room from one request at its first unknown member', async () => {
    const calls = { state: 0, joined: 0 };
    const joined = { '@a:x': { display_name: 'Alice' }, '@b:x': { display_name: 'Bob' } };
    const members = new MemberNames(client({ displayname: 'Dave' }, joined, calls));
    const names = await Promise.all(['@a:x', '@b:x', '@a:x'].map((u) => members.get('!r:x', u)));
    expect(names).toEqual(['Alice', 'Bob', 'Alice']);
    expect(calls).toEqual({ state: 0, joined: 1 });
    expect(await members.get('!r:x', '@d:x')).toBe('Dave'); // not joined: asked for alone
    expect(calls).toEqual({ state: 1, joined: 1 });
  });
});
