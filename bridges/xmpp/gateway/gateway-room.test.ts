import { describe, expect, it } from 'vitest';
import { portalKey, type MatrixRoomId, type MatrixUserId } from '../../../src/connector.js';
import { affiliationOf, firstShown, memberNick, newGwRoom, nickTaken } from './gateway-room.js';

const u = (s: string) => s as MatrixUserId;

describe('gateway occupants', () => {
  const room = () => {
    const r = newGwRoom('#dev:example.org', portalKey('gw/#dev:example.org'), {
      roomId: '!r:example.org' as MatrixRoomId,
      joinRule: 'public',
      members: [],
    });
    r.members.set(u('@a:x'), { nick: 'Ann', level: 0 });
    r.members.set(u('@b:x'), { nick: 'Bo', level: 100 });
    r.members.set(u('@c:x'), { nick: 'Cy', level: 50 });
    r.members.set(u('@d:x'), { nick: 'Al', level: 0 });
    return r;
  };

  it('shows moderators first, then by name, up to the cap', () => {
    expect(firstShown(room(), 3)).toEqual(['@b:x', '@c:x', '@d:x']);
    expect(firstShown(room(), 0)).toEqual([]);
  });

  it("a taken nick (any case) falls back to the member's id; XMPP users' nicks count", () => {
    const r = room();
    r.occupants.set('e@x/r', { full: 'e@x/r', bare: 'e@x', nick: 'Eve', roomJid: 'j' });
    expect(memberNick(r, u('@z:x'), 'ann')).toBe('@z:x');
    expect(memberNick(r, u('@z:x'), 'Eve')).toBe('@z:x');
    expect(memberNick(r, u('@z:x'), 'Zed\u0007')).toBe('Zed');
    expect(nickTaken(r, 'eve', 'e@x')).toBe(false);
    expect(nickTaken(r, 'BO')).toBe(true);
  });

  it('power levels as affiliations', () => {
    expect(affiliationOf(100)).toEqual({ affiliation: 'owner', role: 'moderator' });
    expect(affiliationOf(50)).toEqual({ affiliation: 'admin', role: 'moderator' });
    expect(affiliationOf(0)).toEqual({ affiliation: 'member', role: 'participant' });
  });
});
