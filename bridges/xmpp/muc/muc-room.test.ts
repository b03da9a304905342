import { describe, expect, it } from 'vitest';
import { currentNick, ghostNick, newRoom, notedNick } from './muc-room.js';

describe('ghost names of MUC occupants (XEP-0421 occupant-id)', () => {
  it('an occupant keeps the ghost of their first nick; a newcomer never gets it', () => {
    const room = newRoom('r@muc.x');
    expect(notedNick(room, 'Ann', 'id-ann')).toBe('Ann');
    // Ann changes nick: the room tells the new one with the same id.
    room.ghostNicks.set('Anna', 'Ann');
    expect(notedNick(room, 'Anna', 'id-ann')).toBe('Ann');
    expect(ghostNick(room, 'Anna')).toBe('Ann');
    expect(currentNick(room, 'Ann')).toBe('Anna');
    // Someone else takes "Ann": a ghost of their own.
    expect(notedNick(room, 'Ann', 'id-eve')).toBe('Ann [2]');
    expect(ghostNick(room, 'Ann')).toBe('Ann [2]');
    // Ann back under her first nick later (after Eve left): her own ghost again.
    room.ghostNicks.delete('Ann');
    expect(notedNick(room, 'Ann', 'id-ann')).toBe('Ann');
    expect(ghostNick(room, 'Ann')).toBe('Ann');
  });

  it('without occupant-ids, a ghost is named by the nick', () => {
    const room = newRoom('r@muc.x');
    expect(notedNick(room, 'Bob', undefined)).toBe('Bob');
    expect(currentNick(room, 'Bob')).toBe('Bob');
  });
});
