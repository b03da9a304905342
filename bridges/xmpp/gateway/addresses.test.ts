import { describe, expect, it } from 'vitest';
import { parsePortal } from '../ids.js';
import { gatewayRoomJid, gatewayTarget } from './addresses.js';

const C = 'matrix.example.org';
/** What the XMPP server does to an address before the bridge sees it. */
const lowered = (jid: string) => jid.toLowerCase();

describe('gateway addresses', () => {
  it('aliases and room ids, capitals and `^` included, survive the lowercasing of the address', () => {
    for (const target of [
      '#rust:example.org',
      '#Rust:example.org',
      '#MiXeD^case^^:Example.org',
      '#a/b"c@d:example.org:8448',
      '!AbCdEfGhIjKlMnOpQr:example.org',
      '!abc:example.org',
      '!Xa-_9zQ1bC2dE3fG4hI5jK6lM7nO8pQ9rS0tU1vW2x', // a room version 12 id: no server
    ])
      expect(gatewayTarget(lowered(gatewayRoomJid(target, C)), C)).toBe(target);
  });

  it('writes a capital as `^` and its letter, a `^` as `^^`, and `:` as `#`', () => {
    expect(gatewayRoomJid('#Rust:example.org', C)).toBe(`#^rust#example.org@${C}`);
    expect(gatewayRoomJid('!AbC:example.org', C)).toBe(`!^ab^c#example.org@${C}`);
    expect(gatewayRoomJid('#a^b:example.org:8448', C)).toBe(`#a^^b#example.org\\3a8448@${C}`);
  });

  it('reads the forms from before: lowercase `#room#server` and XEP-0106 escaped `\\3a`', () => {
    expect(gatewayTarget(`#rust#example.org@${C}`, C)).toBe('#rust:example.org');
    expect(gatewayTarget(`#rust\\3aexample.org@${C}/Nick`, C)).toBe('#rust:example.org');
    expect(gatewayTarget(`#a#b#example.org@${C}`, C)).toBe('#a#b:example.org');
    expect(gatewayTarget(`!abc\\3aexample.org@${C}`, C)).toBe('!abc:example.org');
    expect(gatewayTarget(`#x^1#example.org@${C}`, C)).toBe('#x^1:example.org'); // a lone `^`
  });

  it('names no room for other addresses', () => {
    expect(gatewayTarget(`#rust#example.org@other.org`, C)).toBeUndefined();
    expect(gatewayTarget(`alice\\3aexample.org@${C}`, C)).toBeUndefined();
    expect(gatewayTarget(`#norserver@${C}`, C)).toBeUndefined();
    expect(gatewayTarget(`!a#b#c@${C}`, C)).toBeUndefined(); // a room id has no `#`
    expect(gatewayTarget(C, C)).toBeUndefined();
  });

  it('names gateway portals by alias or room id', () => {
    expect(parsePortal('gw/#Dev:example.org')).toEqual({
      kind: 'gateway',
      target: '#Dev:example.org',
    });
    expect(parsePortal('gw/!AbC:example.org:8448')).toEqual({
      kind: 'gateway',
      target: '!AbC:example.org:8448',
    });
    expect(parsePortal('gw/nonsense')).toBeUndefined();
  });
});
