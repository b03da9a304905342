import { describe, expect, it } from 'vitest';
import { ChannelRoster } from './roster.js';

describe('ChannelRoster', () => {
  it('joins, parts and quits: channels and nicks compared without case, nicks keep theirs', () => {
    const r = new ChannelRoster();
    r.joined('#A', 'Alice');
    r.joined('#b', 'alice');
    r.joined('#a', 'Bob');
    expect(r.has('#a', 'ALICE')).toBe(true);
    expect(r.casedNick('ALICE')).toBe('alice'); // as last shown
    expect(r.channelsOf('Alice').sort()).toEqual(['#a', '#b']);
    r.left('#a', 'alice');
    expect(r.has('#a', 'Alice')).toBe(false);
    expect(r.quit('Alice')).toEqual(['#b']);
    expect(r.channelsOf('Alice')).toEqual([]);
    expect([...r.nicksIn('#A')]).toEqual(['bob']);
  });

  it('a nick change moves the user in every channel they are in', () => {
    const r = new ChannelRoster();
    r.joined('#a', 'Alice');
    r.joined('#b', 'Alice');
    r.joined('#c', 'Bob');
    expect(r.renamed('alice', 'Alicia')).toEqual(['#a', '#b']);
    expect(r.channelsOf('alicia')).toEqual(['#a', '#b']);
    expect(r.casedNick('alicia')).toBe('Alicia');
    expect(r.has('#a', 'Alice')).toBe(false);
  });

  it('NAMES replaces the channel’s list and says who was there before', () => {
    const r = new ChannelRoster();
    r.joined('#a', 'Alice');
    r.joined('#a', 'Bob');
    const { before, now } = r.names('#a', ['Bob', 'Carol']);
    expect([...before].sort()).toEqual(['alice', 'bob']);
    expect([...now]).toEqual([
      ['bob', 'Bob'],
      ['carol', 'Carol'],
    ]);
    expect(r.has('#a', 'alice')).toBe(false);
    expect(r.has('#a', 'CAROL')).toBe(true);
  });

  it('the bot leaving forgets the channel; reading never creates one', () => {
    const r = new ChannelRoster();
    expect(r.has('#x', 'Alice')).toBe(false);
    r.left('#x', 'Alice');
    expect(r.knows('#x')).toBe(false);
    r.joined('#a', 'Alice');
    expect(r.knows('#A')).toBe(true);
    r.forget('#a');
    expect(r.knows('#a')).toBe(false);
    expect(r.channelsOf('alice')).toEqual([]);
  });
});
