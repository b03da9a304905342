import { Grammar } from 'sip.js';
import { describe, expect, it } from 'vitest';
import { installFastSipGrammar, reusableParser, sipJsParse } from './sip-grammar.js';

/** Header values as sip.js meets them (Kamailio, sipp, phones), and broken ones. */
const CASES: [string, string][] = [
  ['"Bob Caller" <sip:bob@localhost>;tag=12345SIPpTag001', 'From'],
  ['<sip:caller3@localhost>;tag=1', 'From'],
  ['sip:alice@example.com', 'From'],
  ['<sip:+15550001@localhost>', 'To'],
  ['<sip:+15550001@localhost>;tag=abc', 'To'],
  ['SIP/2.0/WS df7jal23ls0d.invalid;rport=41000;received=127.0.0.1;branch=z9hG4bK5c0a.1', 'Via'],
  ['SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-1-0', 'Via'],
  ['<sip:switchboard@127.0.0.1:5060;transport=ws;alias=127.0.0.1~41000~5>', 'Contact'],
  ['"A" <sip:a@h>;expires=300, <sip:b@h:5070>;q=0.5', 'Contact'],
  [
    '<sip:127.0.0.1:5060;transport=ws;r2=on;lr=on>,<sip:127.0.0.1:15060;r2=on;lr=on>',
    'Record_Route',
  ],
  ['1 INVITE', 'CSeq'],
  ['1-12345@127.0.0.1', 'Call_ID'],
  ['INVITE sip:+15550001@localhost SIP/2.0', 'Request_Response'],
  ['SIP/2.0 486 Busy Here', 'Request_Response'],
  ['application/sdp', 'Content_Type'],
  ['Digest realm="localhost", nonce="abc", qop="auth"', 'WWW_Authenticate'],
  ['<sip:bad@@', 'From'],
  ['garbage', 'Via'],
  ['', 'To'],
  ['sip:x@y\r\nInjected: 1', 'To'],
];

const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

describe("sip.js's header parser with its tables built once", () => {
  it('is built from this sip.js', () => {
    expect(reusableParser()).toBeTypeOf('function');
  });

  it('parses every header as sip.js does, the same values and classes, in any order', () => {
    const expected = CASES.map(([v, rule]) => sipJsParse(v, rule));
    expect(installFastSipGrammar()).toBe(true);
    expect(Grammar.parse).not.toBe(sipJsParse);
    // Twice over, interleaved: no state is left over from one parse to the next.
    for (let round = 0; round < 2; round++)
      CASES.forEach(([v, rule], i) => {
        const got = Grammar.parse(v, rule);
        expect(plain(got), `${rule}: ${v}`).toEqual(plain(expected[i]));
        if (got !== -1 && typeof got === 'object' && got !== null)
          expect(Object.getPrototypeOf(got)).toBe(Object.getPrototypeOf(expected[i]));
      });
    expect(Grammar.parse('garbage', 'Via')).toBe(-1);
    expect(Grammar.nameAddrHeaderParse('"X" <sip:x@y>')?.uri.user).toBe('x');
    expect(Grammar.URIParse('sip:+1555@localhost')?.host).toBe('localhost');
  });

  it('changes nothing for a source it does not expect', () => {
    expect(reusableParser('export const parse = () => 1;')).toBeUndefined();
  });
});
