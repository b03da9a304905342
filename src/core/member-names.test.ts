import { describe, expect, it } from 'vitest';
import type { MatrixClient } from '../matrix/client.js';
import { MemberNames } from './member-names.js';

const client = (state: Record<string, unknown> | undefined) =>
  ({ getState: async () => state }) as unknown as MatrixClient;

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
});
