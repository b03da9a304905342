import { describe, expect, it } from 'vitest';
import { portalKey, type MatrixRoomId, type MatrixUserId } from '../../../src/connector.js';
import { affiliationOf, firstShown, memberNick, newGwRoom, nickTaken } from './gateway-room.js';
import { gatewayAlias, gatewayRoomJid, parsePortal } from '../ids.js';

const C = 'matrix.example.org';
const u = (s: string) => s as MatrixUserId;

describe('gateway room addresses', () => {
  it('reads #room#server and the XEP-0106 escaped #room\\3aserver as #room:server', () => {
    expect(gatewayAlias(`#dev#example.org@${C}`, C)).toBe('#dev:example.org');
    expect(gatewayAlias(`#dev\\3aexample.org@${C}`, C)).toBe('#dev:example.org');
    expect(gatewayAlias(`#dev#example.org\\3a8448@${C}/nick`, C)).toBe('#dev:example.org:8448');
    expect(gatewayAlias(`#a#b#example.org@${C}`, C)).toBe('#a#b:example.org');
  });

  it('names no alias for other addresses', () => {
    expect(gatewayAlias(`alice\\3aexample.org@${C}`, C)).toBeUndefined();
    expect(gatewayAlias(`#dev#example.org@elsewhere.org`, C)).toBeUndefined();
    expect(gatewayAlias(`#dev@${C}`, C)).toBeUndefined();
    expect(gatewayAlias(C, C)).toBeUndefined();
  });

  it('writes the room address back, and the portal key parses', () => {
    expect(gatewayRoomJid('#dev:example.org', C)).toBe(`#dev#example.org@${C}`);
    expect(gatewayRoomJid('#dev:example.org:8448', C)).toBe(`#dev#example.org\\3a8448@${C}`);
    expect(parsePortal('gw/#dev:example.org')).toEqual({
      kind: 'gateway',
      alias: '#dev:example.org',
    });
    expect(parsePortal('gw/nonsense')).toBeUndefined();
  });
});

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
