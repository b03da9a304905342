import { describe, expect, it } from 'vitest';
import { escapeLocalpart, splitMatrixId, unescapeLocalpart } from './ghost-ids.js';

describe('ghost localparts', () => {
  it('escapes the remote ids of the SIP and email bridges as their READMEs document', () => {
    expect(escapeLocalpart('alice@pbx.example.org')).toBe('alice=40pbx.example.org');
    expect(escapeLocalpart('+15551234567')).toBe('=2b15551234567');
    expect(escapeLocalpart('alice.o+tag@example.org')).toBe('alice.o=2btag=40example.org');
    for (const id of ['Alice@host', '+15551234567', "o'brien@pbx.example.org:5080"])
      expect(unescapeLocalpart(escapeLocalpart(id))).toBe(id);
  });

  it.each([
    ['alice', 'alice'],
    ['Alice', '=41lice'],
    ['libera_alice', 'libera_alice'],
    ['nick[m]', 'nick=5bm=5d'],
    ['ünï', '=c3=bcn=c3=af'],
    ['a b:c', 'a=20b=3ac'],
    ['😀', '=f0=9f=98=80'],
  ])('escapes %j as %j and back', (remote, local) => {
    expect(escapeLocalpart(remote)).toBe(local);
    expect(unescapeLocalpart(local)).toBe(remote);
    expect(local).toMatch(/^[a-z0-9._=\-/]*$/);
  });

  it('rejects localparts the escaping cannot produce', () => {
    for (const bad of ['=zz', '=4', 'A', 'a b', '=c3', '=61'])
      expect(unescapeLocalpart(bad)).toBeUndefined();
  });

  it('round-trips arbitrary strings', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed);
    for (let i = 0; i < 500; i++) {
      const s = String.fromCodePoint(
        ...Array.from({ length: 1 + (rand() % 8) }, () => 32 + (rand() % 0x2000)),
      );
      expect(unescapeLocalpart(escapeLocalpart(s))).toBe(s);
    }
  });

  it('splits Matrix ids', () => {
    expect(splitMatrixId('@a:example.org:8448', '@')).toEqual({
      localpart: 'a',
      server: 'example.org:8448',
    });
    expect(splitMatrixId('#room:x', '@')).toBeUndefined();
    expect(splitMatrixId('@:x', '@')).toBeUndefined();
  });
});
