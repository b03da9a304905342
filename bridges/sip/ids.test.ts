import { describe, expect, it } from 'vitest';
import type { MatrixUserId } from '../../src/connector.js';
import {
  dmPortal,
  parseDmPortal,
  parseParty,
  parseSipUri,
  partyFromInput,
  partyUri,
} from './ids.js';

describe('SIP ids', () => {
  it('reads numbers and SIP addresses from URIs', () => {
    expect(parseSipUri('sip:+15551234567@trunk.example.org')).toBe('+15551234567');
    expect(parseSipUri('tel:+4930123456')).toBe('+4930123456');
    expect(parseSipUri('sip:Alice@PBX.Example.org')).toBe('Alice@pbx.example.org');
    expect(parseSipUri('sips:bob@127.0.0.1:5061')).toBe('bob@127.0.0.1:5061');
  });

  it('refuses anything that could carry a header or a second URI', () => {
    for (const bad of [
      'sip:alice@host\r\nVia: x',
      'sip:ali ce@host',
      'sip:alice@host>;x=1',
      'sip:a%0d%0aX: y@host',
      'sip:alice@ho_st',
      'sip:@host',
      'http://alice@host',
      'tel:+0123',
    ])
      expect(parseSipUri(bad), bad).toBeUndefined();
    expect(partyFromInput('alice@host\nX: 1')).toBeUndefined();
    expect(partyFromInput('+1 (555) 123-4567')).toBe('+15551234567');
    expect(partyFromInput('+1555<1234')).toBeUndefined();
  });

  it('gives the URI a party is called at', () => {
    expect(partyUri(parseParty('+15551234567')!, 'trunk.example.org')).toBe(
      'sip:+15551234567@trunk.example.org',
    );
    expect(partyUri(parseParty('alice@pbx')!, 'x')).toBe('sip:alice@pbx');
    expect(parseParty('alice@pbx\r\n')).toBeUndefined();
  });

  it('names a DM portal by its Matrix user and remote party', () => {
    const key = dmPortal('@alice:example.org' as MatrixUserId, parseSipUri('sip:+15551234@x')!);
    expect(key).toBe('@alice:example.org +15551234');
    expect(parseDmPortal(key)).toEqual({ user: '@alice:example.org', party: '+15551234' });
    expect(parseDmPortal('@alice:example.org')).toBeUndefined();
  });
});
